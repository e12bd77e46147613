using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dif.Imaging;

/// <summary>C×H×W float arrays in [0,1] to 8-bit RGB images.</summary>
public static class ImageConversions
{
    /// <summary>An RGB image from C×H×W values in [0,1] (clamped, rounded to the nearest 8-bit level).</summary>
    public static Image<Rgb24> FromChw(float[] chw, int width, int height)
    {
        int plane = width * height;
        if (chw.Length != 3 * plane) throw new ArgumentException($"Expected 3×{height}×{width} values, got {chw.Length}.");
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < width; x++)
                {
                    int o = y * width + x;
                    row[x] = new Rgb24(ToByte(chw[o]), ToByte(chw[plane + o]), ToByte(chw[2 * plane + o]));
                }
            }
        });
        return image;
    }

    /// <summary>The nearest 8-bit level of a value in [0,1] (clamped).</summary>
    public static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round(v * 255f), 0, 255);
}
