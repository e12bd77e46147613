namespace Dif.Imaging;

/// <summary>An image ready for the denoiser: RGB float32 in [0,1], laid out C×H×W, centre-cropped
/// to <see cref="Size"/>×<see cref="Size"/>.</summary>
public sealed class PreparedImage
{
    /// <summary>Creates a prepared image; <paramref name="pixels"/> must hold 3×size×size values.</summary>
    public PreparedImage(string source, int originalWidth, int originalHeight, int size, float[] pixels)
    {
        if (pixels.Length != 3 * size * size)
            throw new ArgumentException($"Expected {3 * size * size} values for a 3×{size}×{size} image, got {pixels.Length}.");
        Source = source;
        OriginalWidth = originalWidth;
        OriginalHeight = originalHeight;
        Size = size;
        Pixels = pixels;
    }

    /// <summary>Where the image came from (a path, or a name the caller gave).</summary>
    public string Source { get; }
    /// <summary>Width of the decoded image after EXIF orientation, before cropping.</summary>
    public int OriginalWidth { get; }
    /// <summary>Height of the decoded image after EXIF orientation, before cropping.</summary>
    public int OriginalHeight { get; }
    /// <summary>Side of the square crop.</summary>
    public int Size { get; }
    /// <summary>3×Size×Size values in [0,1], channel-major.</summary>
    public float[] Pixels { get; }
}
