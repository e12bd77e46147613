using Dif.Imaging;

namespace Dif.Fingerprinting;

/// <summary>Pictures of a fingerprint for people: the pattern itself and its spectrum, where a generator's
/// up-sampling shows as peaks at fractions of the sampling frequency.</summary>
public static class FingerprintImages
{
    /// <summary>Writes the pattern (mean-centred, ±3σ mapped to 0–255) as a PNG, atomically.</summary>
    public static void WritePattern(Fingerprint fingerprint, string path)
        => ImageWriter.SaveSigned(fingerprint.Pattern, fingerprint.Size, fingerprint.Size, path);

    /// <summary>Writes the log-magnitude spectrum (zero frequency in the centre) as a PNG, atomically.</summary>
    public static void WriteSpectrum(Fingerprint fingerprint, string path)
        => ImageWriter.SaveUnit(Spectrum.LogMagnitude(fingerprint.Pattern, fingerprint.Size), fingerprint.Size, fingerprint.Size, path);
}
