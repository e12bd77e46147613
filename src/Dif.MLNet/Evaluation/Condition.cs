using System.Globalization;
using Dif.Persistence;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dif.Evaluation;

/// <summary>How an evaluation image is stored, applied alike to real and generated images so that a
/// detector cannot win by telling file formats apart. Names: <c>png</c>, <c>jpegQ</c> (JPEG at quality
/// Q, e.g. <c>jpeg96</c>), <c>resize0.5</c> (made at twice the size, then halved), <c>crop0.5-0.9</c>
/// (a random 50–90% window resized back).</summary>
public sealed record Condition(string Name)
{
    /// <summary>Both classes PNG.</summary>
    public static readonly Condition Png = new("png");
    /// <summary>Both classes JPEG at quality 96.</summary>
    public static readonly Condition Jpeg96 = new("jpeg96");

    /// <summary>The standard format-controlled conditions.</summary>
    public static IReadOnlyList<Condition> Standard { get; } = [Png, Jpeg96];

    /// <summary>Robustness conditions (applied to both classes of the test split).</summary>
    public static IReadOnlyList<Condition> Robustness { get; } =
        [new("jpeg90"), new("jpeg80"), new("jpeg70"), new("jpeg60"), new("jpeg50"), new("resize0.5"), new("crop0.5-0.9")];

    /// <summary>JPEG quality, or null for PNG output.</summary>
    public int? JpegQuality => Name.StartsWith("jpeg", StringComparison.Ordinal) ? int.Parse(Name[4..], CultureInfo.InvariantCulture) : null;

    /// <summary>The factor images are resized by after generation (1 = none).</summary>
    public double ResizeFactor => Name.StartsWith("resize", StringComparison.Ordinal) ? double.Parse(Name[6..], CultureInfo.InvariantCulture) : 1;

    /// <summary>True for the random-crop condition.</summary>
    public bool RandomCrop => Name.StartsWith("crop", StringComparison.Ordinal);

    /// <summary>File extension of stored images.</summary>
    public string Extension => JpegQuality is null ? ".png" : ".jpg";

    /// <summary>Parses and checks a condition name.</summary>
    public static Condition Parse(string name)
    {
        var c = new Condition(name);
        bool ok = name == "png" || c.RandomCrop && name == "crop0.5-0.9"
                  || name.StartsWith("jpeg", StringComparison.Ordinal) && int.TryParse(name[4..], out var q) && q is >= 1 and <= 100
                  || name.StartsWith("resize", StringComparison.Ordinal) && double.TryParse(name[6..], CultureInfo.InvariantCulture, out var r) && r is > 0 and < 1;
        return ok ? c : throw new ArgumentException($"Unknown condition '{name}': use png, jpegQ (1–100), resizeF (0<F<1) or crop0.5-0.9.");
    }

    /// <summary>Applies the condition's geometry (crop) to an image of the final size, deterministically.</summary>
    public void ApplyGeometry(Image<Rgb24> image, Random random)
    {
        if (!RandomCrop) return;
        int size = image.Width;
        int window = (int)Math.Round(size * (0.5 + 0.4 * random.NextDouble()));
        int x = random.Next(size - window + 1), y = random.Next(size - window + 1);
        image.Mutate(c => c.Crop(new Rectangle(x, y, window, window)).Resize(size, size, KnownResamplers.Bicubic));
    }

    /// <summary>Writes <paramref name="image"/> in the condition's format, atomically.</summary>
    public void Save(Image<Rgb24> image, string path)
        => AtomicFile.Write(path, s =>
        {
            if (JpegQuality is { } q) image.Save(s, new JpegEncoder { Quality = q });
            else image.Save(s, new PngEncoder());
        });
}
