using Dif.Fingerprinting;

namespace Dif.Lineage;

/// <summary>Which known model most likely made an image, among a library of fingerprints.</summary>
/// <param name="Source">The attributed model, or null for "none of these" (no fingerprint calls the image generated).</param>
/// <param name="Candidates">Every fingerprint's detection, most probable first.</param>
public sealed record AttributionResult(string? Source, IReadOnlyList<(string Model, Detection Detection)> Candidates);

/// <summary>Attributes residuals to the fingerprints of known models: each fingerprint scores the image; the
/// source is the fingerprint with the highest calibrated probability among those whose verdict is
/// "generated", and "none of these" when no fingerprint claims it. Probabilities, not raw scores, are
/// compared because each fingerprint's scores live on their own scale.</summary>
public sealed class Attributor
{
    private readonly IReadOnlyList<Fingerprint> library;
    private readonly DetectionOptions detection;

    /// <summary>Creates an attributor over fingerprints of one crop size (named by <see cref="Fingerprint.Name"/>).</summary>
    public Attributor(IReadOnlyList<Fingerprint> library, DetectionOptions? detection = null)
    {
        if (library.Count == 0) throw new ArgumentException("Attribution needs at least one fingerprint.");
        if (library.Select(f => f.Size).Distinct().Count() > 1) throw new ArgumentException("Every fingerprint of the library must have the same crop size.");
        this.library = library;
        this.detection = detection ?? new DetectionOptions();
        this.detection.Validate();
    }

    /// <summary>The crop size residuals must have.</summary>
    public int Size => library[0].Size;

    /// <summary>The models' names, in library order.</summary>
    public IReadOnlyList<string> Models => library.Select((f, i) => f.Name ?? $"#{i + 1}").ToList();

    /// <summary>Attributes one residual.</summary>
    public AttributionResult Attribute(float[] residual)
    {
        var names = Models;
        var ranked = library.Select((f, i) => (Model: names[i], Detection: f.Detect(residual, detection)))
            .OrderByDescending(c => c.Detection.Probability).ThenByDescending(c => c.Detection.Score).ToList();
        var source = ranked.FirstOrDefault(c => c.Detection.Verdict == Verdict.Generated).Model;
        return new AttributionResult(source, ranked);
    }

    /// <summary>Attribution accuracy per model's test set (share attributed to the right model) and the share
    /// of real images attributed to none.</summary>
    public AttributionReport Evaluate(IReadOnlyList<float[]> real, IReadOnlyList<ModelTestSet> modelSets, CancellationToken cancellationToken = default)
    {
        double Share(IEnumerable<float[]> residuals, Func<string?, bool> right)
        {
            int n = 0, ok = 0;
            foreach (var r in residuals)
            {
                cancellationToken.ThrowIfCancellationRequested();
                n++;
                if (right(Attribute(r).Source)) ok++;
            }
            return n == 0 ? double.NaN : (double)ok / n;
        }
        var perModel = modelSets.Select(s => (s.Name, Share(s.Fake, src => src == s.Name))).ToList();
        return new AttributionReport(perModel, Share(real, src => src is null), real.Count);
    }
}

/// <summary>How well an <see cref="Attributor"/> names the source of images of known models.</summary>
/// <param name="Accuracy">Per model: share of its images attributed to it.</param>
/// <param name="RealNoneRate">Share of real images attributed to none of the models (higher is better).</param>
/// <param name="RealImages">Real images scored.</param>
public sealed record AttributionReport(IReadOnlyList<(string Model, double Accuracy)> Accuracy, double RealNoneRate, int RealImages)
{
    /// <summary>Mean of the per-model accuracies.</summary>
    public double MeanAccuracy => Accuracy.Average(a => a.Accuracy);
}
