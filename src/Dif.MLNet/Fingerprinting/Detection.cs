namespace Dif.Fingerprinting;

/// <summary>What a fingerprint says of one image.</summary>
public enum Verdict
{
    /// <summary>Nearer the real centre, and clear of the inconclusive band.</summary>
    Real,
    /// <summary>Nearer the generated centre, and clear of the inconclusive band.</summary>
    Generated,
    /// <summary>Too close to the decision boundary to act on.</summary>
    Inconclusive,
}

/// <summary>How scores become verdicts.</summary>
public sealed class DetectionOptions
{
    /// <summary>The default <see cref="InconclusiveBand"/>.</summary>
    public const double DefaultInconclusiveBand = 0.1;

    /// <summary>A verdict is <see cref="Verdict.Inconclusive"/> when the calibrated probability lies
    /// within this distance of 0.5 (0 turns the band off). Default 0.1: probabilities in (0.4, 0.6).</summary>
    public double InconclusiveBand { get; set; } = DefaultInconclusiveBand;

    /// <summary>Throws <see cref="ArgumentException"/> when the band is outside [0, 0.5).</summary>
    public void Validate()
    {
        if (InconclusiveBand is < 0 or >= 0.5 || double.IsNaN(InconclusiveBand))
            throw new ArgumentException($"InconclusiveBand must be in [0, 0.5); got {InconclusiveBand}.");
    }
}

/// <summary>One image's detection result (docs/method.md §2.5).</summary>
/// <param name="Correlation">ρ(F_E, R): Pearson correlation of the fingerprint and the image's residual.</param>
/// <param name="Score">(ρ − (μ_real+μ_fake)/2)·sign(μ_fake − μ_real): positive means nearer the generated centre.</param>
/// <param name="Probability">Calibrated probability that the image is generated.</param>
/// <param name="Verdict">Real, generated or inconclusive.</param>
public sealed record Detection(double Correlation, double Score, double Probability, Verdict Verdict)
{
    /// <summary>The predicted label by the nearest centre (score &gt; 0), ignoring the inconclusive band.</summary>
    public bool IsGenerated => Score > 0;
}
