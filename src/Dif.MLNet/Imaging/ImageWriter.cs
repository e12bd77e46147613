using Dif.Persistence;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Dif.Imaging;

/// <summary>Writes C×H×W float arrays as PNG pictures (atomically; never TIFF).</summary>
public static class ImageWriter
{
    /// <summary>Writes values already in [0,1] (clamped) as an RGB PNG.</summary>
    public static void SaveUnit(float[] chw, int width, int height, string path)
        => Save(chw, width, height, path, v => v);

    /// <summary>Writes a signed pattern (a residual or fingerprint) as an RGB PNG: zero maps to mid-gray
    /// and ±<paramref name="stdDevs"/> standard deviations to black/white, per the whole array.</summary>
    public static void SaveSigned(float[] chw, int width, int height, string path, double stdDevs = 3)
    {
        double mean = chw.Average(v => (double)v);
        double std = Math.Sqrt(chw.Average(v => (v - mean) * (v - mean)));
        double scale = std > 0 ? 1.0 / (2 * stdDevs * std) : 0;
        Save(chw, width, height, path, v => (float)(0.5 + (v - mean) * scale));
    }

    private static void Save(float[] chw, int width, int height, string path, Func<float, float> map)
    {
        int plane = width * height;
        if (chw.Length != 3 * plane) throw new ArgumentException($"Expected 3×{height}×{width} values, got {chw.Length}.");
        using var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < width; x++)
                {
                    int o = y * width + x;
                    row[x] = new Rgb24(ToByte(map(chw[o])), ToByte(map(chw[plane + o])), ToByte(map(chw[2 * plane + o])));
                }
            }
        });
        AtomicFile.Write(path, s => image.Save(s, new PngEncoder()));
    }

    private static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round(v * 255f), 0, 255);
}
