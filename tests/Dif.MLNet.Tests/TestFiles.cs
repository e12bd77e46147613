using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Dif.Tests;

/// <summary>A temporary folder of real image files made for one test.</summary>
public sealed class TestFiles : IDisposable
{
    public TestFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "dif-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string name) => System.IO.Path.Combine(Root, name);

    /// <summary>A smooth colourful test picture with a little seeded noise; pixel (x,y) is known.</summary>
    public static Image<Rgb24> Picture(int width, int height, int seed = 1)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24(
                    (byte)Math.Clamp(128 + 100 * Math.Sin(x * 0.05 + seed) + random.Next(-8, 9), 0, 255),
                    (byte)Math.Clamp(128 + 100 * Math.Cos(y * 0.07) + random.Next(-8, 9), 0, 255),
                    (byte)((x + 2 * y + seed * 17) % 256));
        return image;
    }

    public string Png(string name, int width, int height, int seed = 1)
    {
        using var img = Picture(width, height, seed);
        var path = PathOf(name);
        img.SaveAsPng(path);
        return path;
    }

    public string Jpeg(string name, int width, int height, int seed = 1, int quality = 95, ushort? orientation = null)
    {
        using var img = Picture(width, height, seed);
        if (orientation is { } o)
        {
            img.Metadata.ExifProfile = new ExifProfile();
            img.Metadata.ExifProfile.SetValue(ExifTag.Orientation, o);
        }
        var path = PathOf(name);
        img.Save(path, new JpegEncoder { Quality = quality });
        return path;
    }

    public string Save<TPixel>(string name, Image<TPixel> image, SixLabors.ImageSharp.Formats.IImageEncoder encoder) where TPixel : unmanaged, IPixel<TPixel>
    {
        var path = PathOf(name);
        image.Save(path, encoder);
        return path;
    }

    public string Bytes(string name, byte[] bytes)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Recomputes the CRC of the PNG chunk starting at <paramref name="offset"/> after a test edited it.</summary>
    public static void FixPngChunkCrc(byte[] png, int offset)
    {
        int length = (png[offset] << 24) | (png[offset + 1] << 16) | (png[offset + 2] << 8) | png[offset + 3];
        uint crc = 0xFFFFFFFF;
        for (int i = offset + 4; i < offset + 8 + length; i++)
        {
            crc ^= png[i];
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        crc ^= 0xFFFFFFFF;
        int at = offset + 8 + length;
        png[at] = (byte)(crc >> 24); png[at + 1] = (byte)(crc >> 16); png[at + 2] = (byte)(crc >> 8); png[at + 3] = (byte)crc;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
