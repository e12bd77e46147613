namespace Dif.Fingerprinting;

/// <summary>The residual-averaging baseline (Marra et al. 2018; docs/method.md §2.7): the fingerprint is the
/// mean residual of the generated training images, F_A = mean(R_fake); an image is scored by
/// ρ(F_A, R) with the same centre rule as Dif: centres μ_real, μ_fake are the mean correlations of
/// the training residuals of each class, and score = (ρ − (μ_real + μ_fake)/2) · sign(μ_fake − μ_real).</summary>
public sealed class ResidualAveragingDetector : IResidualDetector
{
    private float[]? fingerprint;

    /// <inheritdoc />
    public string Name => "residual averaging";

    /// <summary>Mean correlation of the real training residuals with the fingerprint.</summary>
    public double RealCentre { get; private set; }

    /// <summary>Mean correlation of the generated training residuals with the fingerprint.</summary>
    public double FakeCentre { get; private set; }

    /// <summary>The averaged fingerprint F_A (null before <see cref="Fit"/>).</summary>
    public float[]? Fingerprint => fingerprint;

    /// <inheritdoc />
    public void Fit(IReadOnlyList<float[]> realResiduals, IReadOnlyList<float[]> fakeResiduals, CancellationToken cancellationToken = default)
    {
        if (realResiduals.Count == 0 || fakeResiduals.Count == 0)
            throw new ArgumentException($"Fitting needs residuals of both classes (got {realResiduals.Count} real, {fakeResiduals.Count} generated).");
        fingerprint = Dif.Imaging.Spectrum.Mean(fakeResiduals);
        RealCentre = realResiduals.Average(r => Correlation.Pearson(fingerprint, r));
        FakeCentre = fakeResiduals.Average(r => Correlation.Pearson(fingerprint, r));
    }

    /// <inheritdoc />
    public double Score(float[] residual)
    {
        if (fingerprint is null) throw new InvalidOperationException("Fit the detector before scoring.");
        double rho = Correlation.Pearson(fingerprint, residual);
        return (rho - (RealCentre + FakeCentre) / 2) * Math.Sign(FakeCentre - RealCentre);
    }
}
