using Dif.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Dif.Tests.Imaging;

/// <summary>The training-data format check (TrainingSetFormat), on real files.</summary>
public sealed class FormatBiasTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    [Fact]
    public void Jpeg_photos_against_png_fakes_are_named_with_the_container_and_the_jpeg_quality()
    {
        var (real, fake) = PhotoPairs.Write(files, "bias", PhotoPairs.Jpeg(90), PhotoPairs.Png);
        var report = TrainingSetFormat.Compare(ImageFiles.In(real), ImageFiles.In(fake));
        Assert.Equal(6, report.Real.Files.Count);
        Assert.Equal(6, report.Generated.Files.Count);
        // Same photos, same size, both 8-bit RGB, no EXIF: the container is the one difference.
        var warning = Assert.Single(report.Warnings);
        Assert.Equal("container: real: 100% JPEG (quality ≈ 90); generated: 100% PNG", warning);
        Assert.Contains("harmonise", report.Advice());
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    public void Classes_stored_alike_give_no_warning(string kind)
    {
        var encoder = kind == "jpeg" ? PhotoPairs.Jpeg(90) : PhotoPairs.Png;
        var (real, fake) = PhotoPairs.Write(files, kind, encoder, encoder);
        var report = TrainingSetFormat.Compare(ImageFiles.In(real), ImageFiles.In(fake));
        Assert.Equal((6, 6), (report.Real.Files.Count, report.Generated.Files.Count));
        Assert.Empty(report.Warnings);
        Assert.Null(report.Advice());
    }

    [Fact]
    public void Quality_subsampling_bit_depth_alpha_exif_and_size_differences_are_each_named_with_their_numbers()
    {
        Directory.CreateDirectory(files.PathOf("r"));
        Directory.CreateDirectory(files.PathOf("g"));
        var real = new List<string>();
        var generated = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            using var photo = TestFiles.Picture(640, 480, seed: i);
            photo.Metadata.ExifProfile = new ExifProfile();
            photo.Metadata.ExifProfile.SetValue(ExifTag.Software, "camera");
            real.Add(files.Save($"r/{i}.jpg", photo, new JpegEncoder { Quality = 95, ColorType = JpegColorType.YCbCrRatio444 }));
            using var fake = TestFiles.Picture(256, 256, seed: 10 + i);
            generated.Add(files.Save($"g/{i}.jpg", fake, new JpegEncoder { Quality = 75, ColorType = JpegColorType.YCbCrRatio420 }));
        }
        // One 16-bit RGBA PNG among the fakes: 20% of them.
        using (var deep = new Image<Rgba64>(256, 256)) generated.Add(files.Save("g/deep.png", deep, new PngEncoder()));

        var w = TrainingSetFormat.Compare(real, generated).Warnings;
        Assert.Contains("container: real: 100% JPEG (quality ≈ 95); generated: 80% JPEG (quality ≈ 75), 20% PNG", w);
        Assert.Contains("JPEG quality: real: quality ≈ 95; generated: quality ≈ 75", w);
        Assert.Contains("JPEG chroma subsampling: real: 100% 4:4:4; generated: 100% 4:2:0", w);
        Assert.Contains("bit depth and colour: real: 100% 8-bit RGB; generated: 80% 8-bit RGB, 20% 16-bit RGBA", w);
        Assert.Contains("EXIF metadata: real: 100% of files have it; generated: 0%", w);
        Assert.Contains("image size: real: all 640×480; generated: all 256×256; the size ranges do not overlap", w);
        Assert.Equal(6, w.Count);
    }

    [Fact]
    public void Sizes_whose_ranges_overlap_but_whose_medians_differ_are_named()
    {
        var real = Enumerable.Range(0, 3).Select(i => files.Png($"r{i}.png", 320 + 16 * i, 320)).ToList();
        var fake = new[] { files.Png("f0.png", 336, 320), files.Png("f1.png", 640, 640), files.Png("f2.png", 640, 640) };
        var warning = Assert.Single(TrainingSetFormat.Compare(real, fake).Warnings);
        Assert.Equal("image size: real: median 336×320 (320×320 to 352×320); generated: median 640×640 (336×320 to 640×640); the median pixel counts differ 3.8×", warning);
    }

    [Fact]
    public void Headers_of_the_bundled_photos_read_as_their_tools_report_them()
    {
        var hubble = TrainingSetFormat.Read(Path.Combine(RepoPaths.EvaluationPhotos, "hubble_deep_field.jpg"))!;
        Assert.Equal(("JPEG", 1000, 872, "8-bit RGB", true), (hubble.Container, hubble.Width, hubble.Height, hubble.PixelFormat, hubble.HasExif));
        Assert.InRange(hubble.JpegQuality!.Value, 1, 100);
        var grass = TrainingSetFormat.Read(Path.Combine(RepoPaths.EvaluationPhotos, "grass.png"))!;
        Assert.Equal(("PNG", 512, 512, "8-bit gray", false, false), (grass.Container, grass.Width, grass.Height, grass.PixelFormat, grass.HasExif, grass.HasAlpha));
    }

    [Fact]
    public void The_quality_estimate_is_exact_for_every_quality_imagesharp_writes()
    {
        using var picture = TestFiles.Picture(32, 32);
        foreach (int q in new[] { 1, 10, 25, 49, 50, 51, 75, 90, 96, 99, 100 })
        {
            var path = files.Save($"q{q}.jpg", picture, new JpegEncoder { Quality = q });
            Assert.Equal(q, TrainingSetFormat.Read(path)!.JpegQuality);
        }
    }

    [Fact]
    public void Webp_lossy_and_lossless_are_told_apart()
    {
        using var picture = TestFiles.Picture(48, 40);
        var lossy = TrainingSetFormat.Read(files.Save("a.webp", picture, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy }))!;
        var lossless = TrainingSetFormat.Read(files.Save("b.webp", picture, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }))!;
        Assert.Equal(("WebP (lossy)", 48, 40), (lossy.Container, lossy.Width, lossy.Height));
        Assert.Equal(("WebP (lossless)", 48, 40), (lossless.Container, lossless.Width, lossless.Height));
    }

    [Fact]
    public void Damaged_headers_are_unreadable_never_an_exception()
    {
        using var picture = TestFiles.Picture(32, 32);
        var sources = new[]
        {
            files.Save("s.jpg", picture, new JpegEncoder { Quality = 80 }), files.Save("s.png", picture, new PngEncoder()),
            files.Save("s.webp", picture, new WebpEncoder()), files.Save("s.bmp", picture, new SixLabors.ImageSharp.Formats.Bmp.BmpEncoder()),
        };
        var random = new Random(5);
        foreach (var source in sources)
        {
            var bytes = File.ReadAllBytes(source);
            for (int cut = 0; cut < Math.Min(bytes.Length, 400); cut += 3)
                TrainingSetFormat.Read(new MemoryStream(bytes[..cut]), "cut");
            for (int k = 0; k < 300; k++)
            {
                var flipped = (byte[])bytes.Clone();
                for (int j = 0; j < 4; j++) flipped[random.Next(Math.Min(flipped.Length, 300))] = (byte)random.Next(256);
                TrainingSetFormat.Read(new MemoryStream(flipped), "flipped");
            }
        }
        Assert.Null(TrainingSetFormat.Read(files.Bytes("text.png", "not an image"u8.ToArray())));
        var report = TrainingSetFormat.Compare([files.Bytes("t.png", [1, 2, 3])], [sources[1]]);
        Assert.Equal((0, 1), (report.Real.Files.Count, report.Real.Unreadable));
        Assert.Empty(report.Warnings);
    }
}
