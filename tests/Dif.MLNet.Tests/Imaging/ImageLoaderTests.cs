using Dif.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Dif.Tests.Imaging;

public sealed class ImageLoaderTests : IDisposable
{
    private readonly TestFiles files = new();
    private static readonly ImageLoadOptions Crop64 = new() { CropSize = 64 };

    public void Dispose() => files.Dispose();

    [Fact]
    public void Png_is_centre_cropped_to_chw_floats_in_unit_range()
    {
        var path = files.Png("a.png", 100, 80);
        var image = ImageLoader.Load(path, Crop64);
        Assert.Equal(64, image.Size);
        Assert.Equal(3 * 64 * 64, image.Pixels.Length);
        using var source = TestFiles.Picture(100, 80);
        // Centre crop origin: ((100-64)/2, (80-64)/2) = (18, 8).
        var p = source[18 + 5, 8 + 7];
        Assert.Equal(p.R / 255f, image.Pixels[0 * 4096 + 7 * 64 + 5]);
        Assert.Equal(p.G / 255f, image.Pixels[1 * 4096 + 7 * 64 + 5]);
        Assert.Equal(p.B / 255f, image.Pixels[2 * 4096 + 7 * 64 + 5]);
        Assert.All(image.Pixels, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Jpeg_decodes()
    {
        var image = ImageLoader.Load(files.Jpeg("a.jpg", 70, 70), Crop64);
        Assert.Equal(64, image.Size);
        Assert.InRange(image.Pixels.Average(), 0.1f, 0.9f);
    }

    [Fact]
    public void Jpeg_named_png_is_decoded_by_content()
    {
        var jpeg = files.Jpeg("real.jpg", 70, 70);
        var misnamed = files.Bytes("misnamed.png", File.ReadAllBytes(jpeg));
        Assert.Equal(ImageLoader.Load(jpeg, Crop64).Pixels, ImageLoader.Load(misnamed, Crop64).Pixels);
    }

    [Fact]
    public void Gray_image_becomes_three_equal_channels()
    {
        using var gray = new Image<L8>(64, 64);
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) gray[x, y] = new L8((byte)(x * 4));
        var image = ImageLoader.Load(files.Save("gray.png", gray, new PngEncoder()), Crop64);
        Assert.Equal(image.Pixels.AsSpan(0, 4096).ToArray(), image.Pixels.AsSpan(4096, 4096).ToArray());
        Assert.Equal(image.Pixels.AsSpan(0, 4096).ToArray(), image.Pixels.AsSpan(8192, 4096).ToArray());
        Assert.Equal(40 * 4 / 255f, image.Pixels[3 * 64 + 40]);
    }

    [Fact]
    public void Alpha_is_dropped_not_composited()
    {
        using var rgba = new Image<Rgba32>(64, 64, new Rgba32(200, 100, 50, 0));
        var image = ImageLoader.Load(files.Save("alpha.png", rgba, new PngEncoder()), Crop64);
        Assert.Equal(200 / 255f, image.Pixels[0]);
        Assert.Equal(100 / 255f, image.Pixels[4096]);
        Assert.Equal(50 / 255f, image.Pixels[8192]);
    }

    [Fact]
    public void Sixteen_bit_png_is_reduced_to_eight_bits()
    {
        using var deep = new Image<Rgb48>(64, 64, new Rgb48(65535, 32896, 0));
        var image = ImageLoader.Load(files.Save("deep.png", deep, new PngEncoder { BitDepth = PngBitDepth.Bit16 }), Crop64);
        Assert.Equal(1f, image.Pixels[0]);
        Assert.Equal(128 / 255f, image.Pixels[4096], 2);
        Assert.Equal(0f, image.Pixels[8192]);
    }

    [Fact]
    public void Palette_png_decodes_to_its_colours()
    {
        using var rgb = new Image<Rgb24>(64, 64, new Rgb24(10, 200, 30));
        var path = files.Save("palette.png", rgb, new PngEncoder { ColorType = PngColorType.Palette });
        var image = ImageLoader.Load(path, Crop64);
        Assert.Equal(10 / 255f, image.Pixels[0]);
        Assert.Equal(200 / 255f, image.Pixels[4096]);
    }

    [Fact]
    public void Exif_orientation_6_rotates_the_image_before_cropping()
    {
        var upright = files.Jpeg("upright.jpg", 96, 64, quality: 100);
        var rotated = files.Jpeg("rotated.jpg", 96, 64, quality: 100, orientation: 6);
        var a = ImageLoader.Load(upright, Crop64);
        var b = ImageLoader.Load(rotated, Crop64);
        Assert.Equal(96, a.OriginalWidth);
        Assert.Equal(64, b.OriginalWidth);   // rotated 90°: width and height swap
        Assert.Equal(96, b.OriginalHeight);
        Assert.NotEqual(a.Pixels, b.Pixels);
    }

    [Fact]
    public void Too_small_image_is_refused_with_file_and_size()
    {
        var path = files.Png("small.png", 50, 40);
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(path, Crop64));
        Assert.Contains(path, e.Message);
        Assert.Contains("50×40", e.Message);
        Assert.Contains("64×64", e.Message);
    }

    [Fact]
    public void Too_small_image_is_zero_padded_when_allowed()
    {
        var path = files.Png("small.png", 50, 40);
        var image = ImageLoader.Load(path, new ImageLoadOptions { CropSize = 64, AllowPadding = true });
        Assert.Equal(0f, image.Pixels[0]);               // corner lies outside the 50×40 picture
        Assert.NotEqual(0f, image.Pixels[32 * 64 + 32]);  // centre lies inside
    }

    [Fact]
    public void Image_over_the_pixel_limit_is_refused_before_decoding()
    {
        var path = files.Png("big.png", 300, 300);
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(path, new ImageLoadOptions { CropSize = 64, MaxPixels = 50_000 }));
        Assert.Contains("over the limit", e.Message);
    }

    [Fact]
    public void Png_header_declaring_huge_dimensions_is_refused_without_allocating()
    {
        // A valid PNG header claiming 60000×60000 followed by almost no data: a decompression bomb.
        var bytes = File.ReadAllBytes(files.Png("tiny.png", 64, 64));
        bytes[16] = 0; bytes[17] = 0; bytes[18] = 0xEA; bytes[19] = 0x60; // width 60000
        bytes[20] = 0; bytes[21] = 0; bytes[22] = 0xEA; bytes[23] = 0x60; // height 60000
        TestFiles.FixPngChunkCrc(bytes, 8);
        var path = files.Bytes("bomb.png", bytes);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(path, Crop64));
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 50_000_000);
        Assert.Contains("60000×60000", e.Message);
    }

    [Fact]
    public void Random_bytes_are_not_an_image()
    {
        var bytes = new byte[5000];
        new Random(3).NextBytes(bytes);
        var path = files.Bytes("noise.jpg", bytes);
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(path, Crop64));
        Assert.Contains(path, e.Message);
        Assert.Contains("not an image", e.Message);
    }

    [Fact]
    public void Empty_file_is_refused()
    {
        var path = files.Bytes("empty.png", []);
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(path, Crop64));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Truncated_png_is_refused_as_damaged()
    {
        var bytes = File.ReadAllBytes(files.Png("whole.png", 128, 128));
        var path = files.Bytes("cut.png", bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(path, Crop64));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Missing_file_and_folder_are_refused()
    {
        Assert.Contains("not found", Assert.Throws<DifImageException>(() => ImageLoader.Load(files.PathOf("nope.png"), Crop64)).Message);
        Assert.Contains("folder", Assert.Throws<DifImageException>(() => ImageLoader.Load(files.Root, Crop64)).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(-16)]
    public void Crop_size_must_be_a_positive_multiple_of_16(int size)
        => Assert.Throws<ArgumentException>(() => ImageLoader.Load(files.Png("a.png", 200, 200), new ImageLoadOptions { CropSize = size }));
}
