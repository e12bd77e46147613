namespace Dif.Fingerprinting;

/// <summary>Dif's detector for the evaluation harness: fits the U-Net fingerprint (docs/method.md §2.4) and
/// scores by the centre rule (§2.5).</summary>
/// <param name="options">How the fingerprint is fitted.</param>
/// <param name="progress">Receives one report per epoch.</param>
/// <param name="label">Added to the name in reports (e.g. "seed 3" when several fits are compared).</param>
public sealed class DifFingerprintDetector(FingerprintFitOptions? options = null, IProgress<FingerprintFitProgress>? progress = null, string? label = null) : IResidualDetector
{
    /// <inheritdoc />
    public string Name => (options?.Architecture is { } a && a != FingerprintArchitecture.UNet
        ? $"Dif fingerprint ({FingerprintNetworks.DisplayName(a)})" : "Dif fingerprint") + (label is null ? "" : $", {label}");

    /// <summary>The fitted fingerprint (null before <see cref="Fit"/>).</summary>
    public Fingerprint? Fingerprint { get; private set; }

    /// <inheritdoc />
    public void Fit(IReadOnlyList<float[]> realResiduals, IReadOnlyList<float[]> fakeResiduals, CancellationToken cancellationToken = default)
    {
        int length = realResiduals.Concat(fakeResiduals).FirstOrDefault()?.Length ?? 0;
        int size = (int)Math.Round(Math.Sqrt(length / 3.0));
        if (3 * size * size != length) throw new ArgumentException($"Residuals of {length} values are not 3×S×S.");
        Fingerprint = new FingerprintFitter(options).Fit(realResiduals, fakeResiduals, size, null, progress, cancellationToken);
    }

    /// <inheritdoc />
    public double Score(float[] residual)
        => (Fingerprint ?? throw new InvalidOperationException("Fit the detector before scoring.")).Score(residual);
}
