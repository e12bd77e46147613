using Dif.Persistence;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;

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
        if (chw.Length != 3 * width * height) throw new ArgumentException($"Expected 3×{height}×{width} values, got {chw.Length}.");
        using var image = ImageConversions.FromChw(Array.ConvertAll(chw, v => map(v)), width, height);
        AtomicFile.Write(path, s => image.Save(s, new PngEncoder()));
    }
}
