using Dif.Fingerprinting;

namespace Dif.PowerShell;

/// <summary>A fitted fingerprint as the cmdlets show it: New-DifFingerprint returns one, Test-DifImage and
/// Export-DifFingerprintImage take one (or a file name, which is loaded into one). It works with or without
/// a file; Save writes it.</summary>
public sealed class DifFingerprint
{
    /// <summary>Wraps a library fingerprint; <paramref name="path"/> is the file it was read from or written to.</summary>
    public DifFingerprint(Fingerprint fingerprint, string? path)
    {
        Fingerprint = fingerprint ?? throw new ArgumentNullException(nameof(fingerprint));
        Path = path;
    }

    /// <summary>The library object (Dif.Fingerprinting.Fingerprint) for C# interop.</summary>
    public Fingerprint Fingerprint { get; }
    /// <summary>The file the fingerprint was read from or last written to (null if none).</summary>
    public string? Path { get; private set; }
    /// <summary>The name of the fingerprinted model.</summary>
    public string? Name => Fingerprint.Name;
    /// <summary>Crop size S the fingerprint was fitted at; images are scored on their centre S×S crop.</summary>
    public int CropSize => Fingerprint.Size;
    /// <summary>Mean correlation of real images during fitting (μ_real).</summary>
    public double RealCentre => Fingerprint.RealCentre;
    /// <summary>Mean correlation of generated images during fitting (μ_fake).</summary>
    public double FakeCentre => Fingerprint.FakeCentre;
    /// <summary>What the probability calibration was fitted on: held-out, training or imported.</summary>
    public string CalibrationSource => Fingerprint.Calibration.Source;
    /// <summary>Images the calibration was fitted on.</summary>
    public int CalibrationImages => Fingerprint.Calibration.Images;
    /// <summary>Identity (SHA-256) of the denoiser the fingerprint was fitted with, if known.</summary>
    public string? DenoiserIdentity => Fingerprint.DenoiserIdentity;
    /// <summary>Epochs of the fit, if known.</summary>
    public int? Epochs => Fingerprint.Summary?.Epochs;
    /// <summary>Real images it was fitted on, if known.</summary>
    public int? RealImages => Fingerprint.Summary?.RealImages;
    /// <summary>Generated images it was fitted on, if known.</summary>
    public int? FakeImages => Fingerprint.Summary?.FakeImages;
    /// <summary>How every image was re-encoded before its residual (e.g. jpeg:90), or null for none; Test-DifImage applies it again.</summary>
    public string? Harmonise => Fingerprint.Harmonisation?.ToString();
    /// <summary>The differences of file format between the real and generated training images found when it was fitted
    /// (empty: none; null: not checked).</summary>
    public string[]? FormatWarnings => Fingerprint.FormatWarnings?.ToArray();

    /// <summary>Writes the fingerprint to a safetensors file (atomically) and remembers the path.</summary>
    public void Save(string path)
    {
        Fingerprint.Save(path);
        Path = path;
    }

    /// <inheritdoc />
    public override string ToString() => Name ?? Path ?? "fingerprint";
}
