using Microsoft.ML.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dif.Imaging;

/// <summary>Decodes image files into <see cref="PreparedImage"/>s (docs/method.md §2.1): format decided by
/// content, EXIF orientation honoured, any pixel format to 8-bit RGB, the first frame of an animation,
/// centre crop, then the optional <see cref="ImageLoadOptions.Harmonise"/> re-encoding. A truncated JPEG
/// is refused (ImageSharp would fill its missing part with gray). Errors are <see cref="DifImageException"/>s
/// naming the file.</summary>
/// <remarks>Security: only the decoders listed in <see cref="SupportedFormats"/> are registered (no
/// TIFF), each with metadata parsing off (no ICC/EXIF/XMP parsers run; the EXIF orientation tag is
/// read by a small bounds-checked reader of our own), dimensions are checked from the header before
/// pixels are decoded, and ImageSharp's allocator is capped. Nothing is ever encoded as TIFF.</remarks>
public static class ImageLoader
{
    /// <summary>The formats Dif decodes.</summary>
    public static IReadOnlyList<string> SupportedFormats { get; } = ["PNG", "JPEG", "GIF", "BMP", "WebP", "TGA", "PBM"];

    /// <summary>The capped, metadata-free ImageSharp configuration every Dif decode uses.</summary>
    internal static Configuration Configuration { get; } = CreateConfiguration();

    private static Configuration CreateConfiguration()
    {
        var config = new Configuration(
            new PngConfigurationModule(), new JpegConfigurationModule(), new GifConfigurationModule(),
            new BmpConfigurationModule(), new WebpConfigurationModule(), new TgaConfigurationModule(),
            new PbmConfigurationModule());
        config.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        config.ImageFormatsManager.SetDecoder(JpegFormat.Instance, new JpegDecoder { IgnoreMetadata = true });
        config.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { IgnoreMetadata = true, DecodingMode = SixLabors.ImageSharp.Metadata.FrameDecodingMode.First, MaxFrames = 1 });
        config.ImageFormatsManager.SetDecoder(WebpFormat.Instance, new WebpDecoder { IgnoreMetadata = true });
        // Hard ceiling on any single decode's memory, independent of the per-call pixel limit.
        config.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = 2048 });
        return config;
    }

    /// <summary>Loads and prepares the image file at <paramref name="path"/>.</summary>
    public static PreparedImage Load(string path, ImageLoadOptions? options = null)
    {
        options ??= new ImageLoadOptions();
        options.Validate();
        return Prepare(ReadFile(path, options), path, options);
    }

    /// <summary>Prepares an image held in memory; <paramref name="sourceName"/> names it in errors.</summary>
    public static PreparedImage Load(ReadOnlySpan<byte> bytes, string sourceName, ImageLoadOptions? options = null)
    {
        options ??= new ImageLoadOptions();
        options.Validate();
        return Prepare(bytes.ToArray(), sourceName, options);
    }

    /// <summary>Prepares an image already decoded by ML.NET's own loader (<c>LoadImages</c>).</summary>
    public static PreparedImage FromMLImage(MLImage image, string sourceName, ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new ImageLoadOptions();
        options.Validate();
        int w = image.Width, h = image.Height;
        if ((long)w * h > options.MaxPixels)
            throw new DifImageException(sourceName, $"is {w}×{h} = {(long)w * h} pixels, over the limit of {options.MaxPixels}.");
        var (x0, y0) = CropOrigin(sourceName, w, h, options);
        var px = image.Pixels;
        int s = options.CropSize, plane = s * s;
        // MLImage holds 4 bytes a pixel, in Bgra32 or Rgba32 order.
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        int r = bgra ? 2 : 0, b = bgra ? 0 : 2;
        var result = new float[3 * plane];
        for (int y = 0; y < s; y++)
        {
            int sy = y + y0;
            if (sy < 0 || sy >= h) continue;
            for (int x = 0; x < s; x++)
            {
                int sx = x + x0;
                if (sx < 0 || sx >= w) continue;
                int i = (sy * w + sx) * 4, o = y * s + x;
                result[o] = px[i + r] / 255f;
                result[plane + o] = px[i + 1] / 255f;
                result[2 * plane + o] = px[i + b] / 255f;
            }
        }
        return new PreparedImage(sourceName, w, h, s, options.Harmonise?.Apply(result, s, s) ?? result);
    }

    /// <summary>Decodes the whole image (oriented, RGB, no crop). Used where the full picture is needed,
    /// for example to sample training patches.</summary>
    public static Image<Rgb24> Decode(string path, ImageLoadOptions? options = null)
    {
        options ??= new ImageLoadOptions();
        var bytes = ReadFile(path, options);
        return DecodeOriented(bytes, path, options, checkCrop: false);
    }

    /// <summary>Decodes an in-memory image (oriented, RGB, no crop).</summary>
    public static Image<Rgb24> Decode(ReadOnlySpan<byte> bytes, string sourceName, ImageLoadOptions? options = null)
        => DecodeOriented(bytes.ToArray(), sourceName, options ?? new ImageLoadOptions(), checkCrop: false);

    internal static byte[] ReadFile(string path, ImageLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new DifImageException(path, "is a folder, not an image file.");
        if (!File.Exists(path)) throw new DifImageException(path, "file not found.");
        try
        {
            var length = new FileInfo(path).Length;
            if (length == 0) throw new DifImageException(path, "is empty (0 bytes).");
            if (length > options.MaxFileBytes)
                throw new DifImageException(path, $"is {length} bytes, over the limit of {options.MaxFileBytes} bytes.");
            return File.ReadAllBytes(path);
        }
        catch (UnauthorizedAccessException e) { throw new DifImageException(path, $"cannot be read: permission denied ({e.Message}).", e); }
        catch (IOException e) { throw new DifImageException(path, $"cannot be read ({e.Message}).", e); }
    }

    private static PreparedImage Prepare(byte[] bytes, string source, ImageLoadOptions options)
    {
        using var image = DecodeOriented(bytes, source, options, checkCrop: true);
        var (x0, y0) = CropOrigin(source, image.Width, image.Height, options);
        var pixels = ToChw(image, x0, y0, options.CropSize);
        // Harmonisation acts on the crop the residual sees, identically for every source format.
        if (options.Harmonise is { } h) pixels = h.Apply(pixels, options.CropSize, options.CropSize);
        return new PreparedImage(source, image.Width, image.Height, options.CropSize, pixels);
    }

    private static Image<Rgb24> DecodeOriented(byte[] bytes, string source, ImageLoadOptions options, bool checkCrop)
    {
        if (bytes.Length == 0) throw new DifImageException(source, "is empty (0 bytes).");
        var format = Image.DetectFormat(Configuration, bytes);
        if (format is null)
            throw new DifImageException(source, $"is not an image Dif can read: its content matches none of {string.Join(", ", SupportedFormats)}.");
        if (format is WebpFormat) bytes = ContainerChecks.WebpFirstFrame(bytes, source, options);

        // Identify reads the header only, so a decompression bomb is refused before any pixel buffer exists.
        IImageInfo? info;
        try { info = Image.Identify(Configuration, bytes, out _); }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new DifImageException(source, $"is a damaged or unsupported {format.Name} file ({Describe(e)}).", e);
        }
        if (info is null || info.Width <= 0 || info.Height <= 0)
            throw new DifImageException(source, $"is a damaged {format.Name} file (no readable header).");
        long pixels = (long)info.Width * info.Height;
        if (pixels > options.MaxPixels)
            throw new DifImageException(source, $"is {info.Width}×{info.Height} = {pixels} pixels, over the limit of {options.MaxPixels} (ImageLoadOptions.MaxPixels).");
        if (format is JpegFormat && !ContainerChecks.JpegIsComplete(bytes))
            throw new DifImageException(source, "is a truncated JPEG file (its data ends before the end-of-image marker).");

        int orientation = ExifOrientation.Read(bytes);
        bool swaps = orientation >= 5;
        int w = swaps ? info.Height : info.Width, h = swaps ? info.Width : info.Height;
        if (checkCrop) CheckSize(source, w, h, options); // before decoding: a too-small image costs no pixels

        Image<Rgb24> image;
        try { image = Image.Load<Rgb24>(Configuration, bytes); }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new DifImageException(source, $"is a damaged or truncated {format.Name} file ({Describe(e)}).", e);
        }
        if (orientation != 1) image.Mutate(x => ApplyOrientation(x, orientation));
        return image;
    }

    /// <summary>Whatever a decoder throws on malformed bytes is a property of the file, not a bug of the caller:
    /// fuzzing (tests/.../Reliability/FuzzTests) found ImageSharp 2.1 throwing NullReferenceException and
    /// IndexOutOfRangeException besides its own types. Only failures of the process itself pass through.</summary>
    private static bool IsDecoderFailure(Exception e)
        => e is not (OutOfMemoryException or OperationCanceledException or StackOverflowException or AccessViolationException);

    private static string Describe(Exception e)
        => e is ImageFormatException or InvalidImageContentException or NotSupportedException or InvalidMemoryOperationException
            ? e.Message : $"the decoder failed on it: {e.GetType().Name}: {e.Message}";

    private static void ApplyOrientation(IImageProcessingContext x, int orientation)
    {
        switch (orientation)
        {
            case 2: x.Flip(FlipMode.Horizontal); break;
            case 3: x.Rotate(RotateMode.Rotate180); break;
            case 4: x.Flip(FlipMode.Vertical); break;
            case 5: x.RotateFlip(RotateMode.Rotate90, FlipMode.Horizontal); break;
            case 6: x.Rotate(RotateMode.Rotate90); break;
            case 7: x.RotateFlip(RotateMode.Rotate270, FlipMode.Horizontal); break;
            case 8: x.Rotate(RotateMode.Rotate270); break;
        }
    }

    private static void CheckSize(string source, int w, int h, ImageLoadOptions options)
    {
        int s = options.CropSize;
        if ((w < s || h < s) && !options.AllowPadding)
            throw new DifImageException(source, $"is {w}×{h} pixels, smaller than the {s}×{s} crop (use a smaller CropSize, or AllowPadding to zero-pad).");
    }

    private static (int X0, int Y0) CropOrigin(string source, int w, int h, ImageLoadOptions options)
    {
        CheckSize(source, w, h, options);
        int s = options.CropSize;
        // Negative origins mean the crop is larger than the image: the loops leave zeros there (padding).
        return ((w - s) / 2, (h - s) / 2);
    }

    /// <summary>The s×s window at (x0, y0) of <paramref name="image"/> as C×H×W floats in [0,1];
    /// pixels outside the image are zero.</summary>
    public static float[] ToChw(Image<Rgb24> image, int x0, int y0, int s) => ToChw(image, x0, y0, s, s);

    /// <summary>The width×height window at (x0, y0) of <paramref name="image"/> as C×H×W floats in
    /// [0,1]; pixels outside the image are zero.</summary>
    public static float[] ToChw(Image<Rgb24> image, int x0, int y0, int width, int height)
    {
        int plane = width * height;
        var result = new float[3 * plane];
        int w = image.Width, h = image.Height;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++)
            {
                int sy = y + y0;
                if (sy < 0 || sy >= h) continue;
                var row = rows.GetRowSpan(sy);
                for (int x = 0; x < width; x++)
                {
                    int sx = x + x0;
                    if (sx < 0 || sx >= w) continue;
                    var p = row[sx];
                    int o = y * width + x;
                    result[o] = p.R / 255f;
                    result[plane + o] = p.G / 255f;
                    result[2 * plane + o] = p.B / 255f;
                }
            }
        });
        return result;
    }
}
