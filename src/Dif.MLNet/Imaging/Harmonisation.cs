using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace Dif.Imaging;

/// <summary>Re-encodes every prepared image identically, so that differences of the files' containers
/// (PNG against JPEG, JPEG qualities, chroma subsampling) cannot be what a fingerprint learns. The only kind
/// is <c>jpeg:Q</c>: after the centre crop and before the residual, the S×S crop is encoded in memory as a
/// baseline JPEG at quality Q with ImageSharp's encoder (IJG-scaled standard tables) and decoded again.
/// Set it with <see cref="ImageLoadOptions.Harmonise"/>; a fingerprint fitted with it records it and is
/// scored only on images harmonised the same way (<see cref="Fingerprinting.Fingerprint.ImageOptions"/>).</summary>
/// <remarks>Chroma is subsampled 4:2:0, as in nearly every camera and web JPEG: real photos that arrive as
/// JPEG have already lost their chroma detail, and 4:4:4 would keep the full chroma of PNG fakes, leaving
/// a difference of chroma resolution between the classes. The crop side is a multiple of 16, so the
/// 16×16 blocks of 4:2:0 tile it exactly and no block is padded. Encoding is deterministic: the same
/// pixels give the same bytes.</remarks>
public sealed record Harmonisation
{
    private Harmonisation(int quality) => Quality = quality;

    /// <summary>JPEG quality Q, 1–100 (IJG scale).</summary>
    public int Quality { get; }

    /// <summary>JPEG at quality <paramref name="quality"/> (1–100).</summary>
    public static Harmonisation Jpeg(int quality)
    {
        if (quality is < 1 or > 100) throw new ArgumentException($"A JPEG harmonisation quality must be 1–100 (got {quality}).", nameof(quality));
        return new Harmonisation(quality);
    }

    /// <summary>Parses <c>jpeg:Q</c> (Q 1–100), as the CLI's <c>--harmonise</c> and the cmdlets' <c>-Harmonise</c> take it.</summary>
    public static Harmonisation Parse(string text)
        => TryParse(text, out var h) ? h : throw new ArgumentException($"'{text}' is not a harmonisation: use jpeg:Q with Q a quality from 1 to 100 (e.g. jpeg:90).", nameof(text));

    /// <summary>Parses <c>jpeg:Q</c>; false for anything else.</summary>
    public static bool TryParse(string? text, out Harmonisation harmonisation)
    {
        harmonisation = null!;
        var t = text?.Trim();
        if (t is null || !t.StartsWith("jpeg:", StringComparison.OrdinalIgnoreCase)) return false;
        if (!int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int q) || q is < 1 or > 100) return false;
        harmonisation = new Harmonisation(q);
        return true;
    }

    /// <summary>The canonical form, e.g. <c>jpeg:90</c> (what the fingerprint file records).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"jpeg:{Quality}");

    /// <summary>The encoder used: ImageSharp's baseline JPEG at <see cref="Quality"/>, YCbCr 4:2:0.</summary>
    public JpegEncoder Encoder => new() { Quality = Quality, ColorType = JpegColorType.YCbCrRatio420 };

    /// <summary>The harmonised copy of C×H×W pixels in [0,1]: encoded as JPEG in memory and decoded back
    /// (values are first rounded to 8-bit levels, which prepared images already are).</summary>
    public float[] Apply(float[] chw, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(chw);
        using var image = ImageConversions.FromChw(chw, width, height);
        using var buffer = new MemoryStream();
        image.Save(buffer, Encoder);
        buffer.Position = 0;
        using var decoded = Image.Load<Rgb24>(ImageLoader.Configuration, buffer);
        return ImageLoader.ToChw(decoded, 0, 0, width, height);
    }

    /// <summary>The harmonised copy of a prepared image (same source and original size).</summary>
    public PreparedImage Apply(PreparedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new PreparedImage(image.Source, image.OriginalWidth, image.OriginalHeight, image.Size, Apply(image.Pixels, image.Size, image.Size));
    }
}

/// <summary>A fingerprint is asked to score images harmonised otherwise than it was fitted on.</summary>
public sealed class DifHarmonisationMismatchException(string? fingerprint, Harmonisation? recorded, Harmonisation? requested)
    : DifException($"{(fingerprint is null ? "The fingerprint" : $"Fingerprint {fingerprint}")} was fitted on images harmonised as {Describe(recorded)}, " +
                   $"not {Describe(requested)}; its scores on images harmonised as {Describe(requested)} would be meaningless. " +
                   (recorded is null ? "Score the images without harmonisation."
                                     : $"Leave the harmonisation out: Dif applies {recorded} itself when it loads images for this fingerprint (Fingerprint.ImageOptions)."))
{
    /// <summary>What the fingerprint records (null: none).</summary>
    public Harmonisation? Recorded { get; } = recorded;
    /// <summary>What was asked for, or what the residuals were made with (null: none).</summary>
    public Harmonisation? Requested { get; } = requested;

    private static string Describe(Harmonisation? h) => h is null ? "none (no re-encoding)" : h.ToString();
}
