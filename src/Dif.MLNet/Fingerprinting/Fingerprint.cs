using Dif.Denoising;
using Dif.Imaging;

namespace Dif.Fingerprinting;

/// <summary>How a fingerprint was fitted: what a reader of the file needs to judge it.</summary>
/// <param name="Epochs">Epochs run.</param>
/// <param name="RealImages">Real images the fingerprint was fitted on.</param>
/// <param name="FakeImages">Generated images the fingerprint was fitted on.</param>
/// <param name="Seed">Seed of the fit.</param>
/// <param name="Boost">Whether the boost term was used.</param>
/// <param name="FinalLoss">Mean loss of the last epoch.</param>
/// <param name="FinalRealCorrelation">Mean ρ(F_E, R) of real images in the last epoch.</param>
/// <param name="FinalFakeCorrelation">Mean ρ(F_E, R) of generated images in the last epoch.</param>
public sealed record FingerprintSummary(int Epochs, int RealImages, int FakeImages, int Seed, bool Boost,
                                        double FinalLoss, double FinalRealCorrelation, double FinalFakeCorrelation);

/// <summary>A fitted Deep Image Fingerprint: the pattern F_E a generative model leaves in residuals,
/// the class centres that turn correlations into decisions (docs/method.md §2.5), a score calibration, and the
/// identity of the denoiser whose residuals it was fitted on — residuals of another denoiser do not
/// match it. Immutable; save and load it with <see cref="Save"/> and <see cref="Load"/>.</summary>
public sealed class Fingerprint
{
    /// <summary>Creates a fingerprint from its parts.</summary>
    /// <param name="pattern">F_E, 3×S×S values (channel-major).</param>
    /// <param name="size">Crop size S.</param>
    /// <param name="realCentre">μ_real.</param>
    /// <param name="fakeCentre">μ_fake.</param>
    /// <param name="calibration">Score calibration.</param>
    /// <param name="denoiserIdentity">Identity (<see cref="Denoiser.Identity"/>) of the denoiser used, or null if unknown.</param>
    /// <param name="summary">How it was fitted, if known.</param>
    /// <param name="name">A label for the model it fingerprints (e.g. "sd14"), if any.</param>
    /// <param name="harmonisation">How every image was re-encoded before its residual (null: not at all).</param>
    /// <param name="formatWarnings">What the training-data format check found (null: not checked).</param>
    public Fingerprint(float[] pattern, int size, double realCentre, double fakeCentre, ScoreCalibration calibration,
                       string? denoiserIdentity = null, FingerprintSummary? summary = null, string? name = null,
                       Harmonisation? harmonisation = null, IReadOnlyList<string>? formatWarnings = null)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(calibration);
        if (size < 16 || size % 16 != 0) throw new ArgumentException($"Crop size must be a positive multiple of 16; got {size}.");
        if (pattern.Length != 3 * size * size) throw new ArgumentException($"A {size}×{size} fingerprint holds {3 * size * size} values; got {pattern.Length}.");
        if (!double.IsFinite(realCentre) || !double.IsFinite(fakeCentre)) throw new ArgumentException("Centres must be finite.");
        Pattern = pattern;
        Size = size;
        RealCentre = realCentre;
        FakeCentre = fakeCentre;
        Calibration = calibration;
        DenoiserIdentity = string.IsNullOrEmpty(denoiserIdentity) ? null : denoiserIdentity;
        Summary = summary;
        Name = string.IsNullOrEmpty(name) ? null : name;
        Harmonisation = harmonisation;
        FormatWarnings = formatWarnings?.ToArray();
    }

    /// <summary>F_E, 3×S×S values (channel-major). Do not modify.</summary>
    public float[] Pattern { get; }
    /// <summary>Crop size S: residuals scored must be 3×S×S.</summary>
    public int Size { get; }
    /// <summary>μ_real: mean correlation of real images during fitting.</summary>
    public double RealCentre { get; }
    /// <summary>μ_fake: mean correlation of generated images during fitting.</summary>
    public double FakeCentre { get; }
    /// <summary>Maps scores to probabilities.</summary>
    public ScoreCalibration Calibration { get; }
    /// <summary>Identity of the denoiser the fingerprint was fitted with (null if unknown).</summary>
    public string? DenoiserIdentity { get; }
    /// <summary>How it was fitted (null if unknown).</summary>
    public FingerprintSummary? Summary { get; }
    /// <summary>A label for the fingerprinted model, if any.</summary>
    public string? Name { get; }
    /// <summary>How every training image was re-encoded before its residual (<see cref="ImageLoadOptions.Harmonise"/>);
    /// images scored must be re-encoded the same way, which <see cref="ImageOptions"/> arranges. Null: not at all.</summary>
    public Harmonisation? Harmonisation { get; }
    /// <summary>The differences of file format between the real and the generated training images that the
    /// format check (<see cref="TrainingSetFormat.Compare"/>) found, in plain words: a fingerprint may have
    /// learned them instead of the model. Empty: the check found none. Null: the check was not run (it needs
    /// the files; fits from residuals alone, such as the ML.NET trainer's, cannot run it).</summary>
    public IReadOnlyList<string>? FormatWarnings { get; }

    /// <summary>A copy with another name.</summary>
    public Fingerprint WithName(string? name) => new(Pattern, Size, RealCentre, FakeCentre, Calibration, DenoiserIdentity, Summary, name, Harmonisation, FormatWarnings);

    /// <summary>A copy with another calibration.</summary>
    public Fingerprint WithCalibration(ScoreCalibration calibration) => new(Pattern, Size, RealCentre, FakeCentre, calibration, DenoiserIdentity, Summary, Name, Harmonisation, FormatWarnings);

    /// <summary>A copy that records the harmonisation its training images were loaded with (null: none).</summary>
    public Fingerprint WithHarmonisation(Harmonisation? harmonisation) => new(Pattern, Size, RealCentre, FakeCentre, Calibration, DenoiserIdentity, Summary, Name, harmonisation, FormatWarnings);

    /// <summary>A copy that records the format check's findings (<see cref="FormatBiasReport.Warnings"/>; null: not checked).</summary>
    public Fingerprint WithFormatWarnings(IReadOnlyList<string>? warnings) => new(Pattern, Size, RealCentre, FakeCentre, Calibration, DenoiserIdentity, Summary, Name, Harmonisation, warnings);

    /// <summary>How to load images for this fingerprint: its crop size and its <see cref="Harmonisation"/>, applied
    /// again automatically. <paramref name="requested"/> is what a caller asked for, if anything; asking for
    /// another harmonisation than the recorded one (including one for a fingerprint that records none) throws
    /// <see cref="DifHarmonisationMismatchException"/>. <paramref name="limits"/> supplies the decoding limits
    /// and padding (default: <see cref="ImageLoadOptions"/>' defaults).</summary>
    public ImageLoadOptions ImageOptions(Harmonisation? requested = null, ImageLoadOptions? limits = null, string? fingerprintSource = null)
    {
        if (requested is not null && requested != Harmonisation)
            throw new DifHarmonisationMismatchException(fingerprintSource ?? Name, Harmonisation, requested);
        var options = (limits ?? new ImageLoadOptions()).WithCropSize(Size);
        options.Harmonise = Harmonisation;
        return options;
    }

    /// <summary>Throws <see cref="DifHarmonisationMismatchException"/> unless residuals made with
    /// <paramref name="harmonisation"/> (null: none) are what this fingerprint scores.</summary>
    public void EnsureHarmonisation(Harmonisation? harmonisation, string? fingerprintSource = null)
    {
        if (harmonisation != Harmonisation) throw new DifHarmonisationMismatchException(fingerprintSource ?? Name, Harmonisation, harmonisation);
    }

    /// <summary>ρ(F_E, R).</summary>
    public double Correlate(float[] residual)
    {
        CheckLength(residual);
        return Fingerprinting.Correlation.Pearson(Pattern, residual);
    }

    /// <summary>The signed score for a correlation: positive means nearer the generated centre.</summary>
    public double ScoreOf(double correlation)
        => (correlation - (RealCentre + FakeCentre) / 2) * Math.Sign(FakeCentre - RealCentre);

    /// <summary>The signed score of a residual (docs/method.md §2.5).</summary>
    public double Score(float[] residual) => ScoreOf(Correlate(residual));

    /// <summary>Correlation, score, probability and verdict for a residual.</summary>
    public Detection Detect(float[] residual, DetectionOptions? options = null)
    {
        double rho = Correlate(residual);
        double score = ScoreOf(rho);
        double p = Calibration.Probability(score);
        return new Detection(rho, score, p, VerdictOf(p, options));
    }

    /// <summary>The verdict for a probability of "generated".</summary>
    public static Verdict VerdictOf(double probability, DetectionOptions? options = null)
    {
        double band = options?.InconclusiveBand ?? DetectionOptions.DefaultInconclusiveBand;
        options?.Validate();
        if (Math.Abs(probability - 0.5) < band || double.IsNaN(probability)) return Verdict.Inconclusive;
        return probability > 0.5 ? Verdict.Generated : Verdict.Real;
    }

    /// <summary>Throws unless <paramref name="denoiser"/> is the one the fingerprint was fitted with.
    /// With <paramref name="force"/>, a mismatch is let through (the caller accepts that scores may be
    /// meaningless). A fingerprint with no recorded denoiser passes.</summary>
    public void EnsureDenoiser(Denoiser denoiser, bool force = false, string? fingerprintSource = null)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        if (force || DenoiserIdentity is null || DenoiserIdentity == denoiser.Identity) return;
        throw new DifDenoiserMismatchException(fingerprintSource ?? Name, DenoiserIdentity, denoiser.Identity);
    }

    /// <summary>What to tell the user, once per run, before scoring with <paramref name="denoiser"/>: null when the
    /// fingerprint records the denoiser it was fitted with (then <see cref="EnsureDenoiser"/> checks it), else a
    /// sentence saying that nothing can be checked (an imported fingerprint records none).</summary>
    public string? DenoiserCaveat(Denoiser denoiser, string? fingerprintSource = null)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        if (DenoiserIdentity is not null) return null;
        return $"fingerprint {fingerprintSource ?? Name} records no denoiser (imported fingerprints do not), so Dif cannot check " +
               $"that denoiser {denoiser.Identity[..16]}… is the one it was fitted with; its scores mean something only if it is.";
    }

    /// <summary>Writes the fingerprint to a safetensors file, atomically (temp file, then rename).</summary>
    public void Save(string path) => FingerprintFile.Write(this, path);

    /// <summary>Reads a fingerprint written by <see cref="Save"/>; a damaged or foreign file raises a
    /// <see cref="DifModelFileException"/> naming it.</summary>
    public static Fingerprint Load(string path) => FingerprintFile.Read(path);

    private void CheckLength(float[] residual)
    {
        ArgumentNullException.ThrowIfNull(residual);
        if (residual.Length != Pattern.Length)
            throw new DifException($"This fingerprint was fitted at crop size {Size} and scores residuals of 3×{Size}×{Size} values; got {residual.Length} values. Extract residuals with crop size {Size}.");
        // A NaN would make ρ NaN and the verdict a silent Inconclusive.
        int bad = Correlation.FirstNonFinite(residual);
        if (bad >= 0) throw new DifException($"The residual holds a non-finite value (NaN or infinity) at index {bad}; it cannot be scored.");
    }
}

/// <summary>A fingerprint is used with residuals of another denoiser than it was fitted with.</summary>
public sealed class DifDenoiserMismatchException(string? fingerprint, string expected, string actual)
    : DifException($"{(fingerprint is null ? "The fingerprint" : $"Fingerprint {fingerprint}")} was fitted with denoiser {Short(expected)}, " +
                   $"but residuals come from denoiser {Short(actual)}; its scores would be meaningless. Use the same denoiser, or force it if you know why.")
{
    /// <summary>Identity recorded in the fingerprint.</summary>
    public string Expected { get; } = expected;
    /// <summary>Identity of the denoiser offered.</summary>
    public string Actual { get; } = actual;

    private static string Short(string identity) => identity.Length > 12 ? identity[..12] + "…" : identity;
}
