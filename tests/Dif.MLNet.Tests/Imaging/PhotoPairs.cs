using Dif.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dif.Tests.Imaging;

/// <summary>Folder pairs of crops of the bundled evaluation photos, the two classes stored as a test asks:
/// the format-bias case is real crops as JPEG (quality 90) against "generated" crops as PNG. Both classes
/// come from the same photos (other windows of them), so only the storage tells them apart.</summary>
internal static class PhotoPairs
{
    public static IImageEncoder Jpeg(int quality) => new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio420 };
    public static IImageEncoder Png { get; } = new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };

    /// <summary>Writes <paramref name="perClass"/> crops of <paramref name="size"/>² per class into ROOT/NAME-real and
    /// ROOT/NAME-fake; window offsets are multiples of 16, so crops align with JPEG blocks.</summary>
    public static (string Real, string Fake) Write(TestFiles files, string name, IImageEncoder real, IImageEncoder fake, int perClass = 6, int size = 96)
    {
        var realDir = Directory.CreateDirectory(files.PathOf(name + "-real")).FullName;
        var fakeDir = Directory.CreateDirectory(files.PathOf(name + "-fake")).FullName;
        var photos = ImageFiles.In(RepoPaths.EvaluationPhotos).ToList();
        for (int i = 0; i < perClass; i++)
        {
            using (var crop = Crop(photos[i % photos.Count], size, i)) crop.Save(Path.Combine(realDir, $"{i:D2}{Extension(real)}"), real);
            using (var crop = Crop(photos[(i + 2) % photos.Count], size, i + perClass)) crop.Save(Path.Combine(fakeDir, $"{i:D2}{Extension(fake)}"), fake);
        }
        return (realDir, fakeDir);
    }

    /// <summary>A size² window of a photo (decoded by Dif), at an offset that depends on <paramref name="k"/>.</summary>
    public static Image<Rgb24> Crop(string photo, int size, int k)
    {
        var image = ImageLoader.Decode(photo);
        int x = 16 * ((3 * k) % Math.Max(1, (image.Width - size) / 16)), y = 16 * ((5 * k) % Math.Max(1, (image.Height - size) / 16));
        image.Mutate(c => c.Crop(new Rectangle(x, y, size, size)));
        return image;
    }

    private static string Extension(IImageEncoder e) => e is JpegEncoder ? ".jpg" : ".png";
}
