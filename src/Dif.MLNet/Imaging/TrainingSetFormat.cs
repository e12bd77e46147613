using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;

namespace Dif.Imaging;

/// <summary>What the header of one image file says about how it is stored.</summary>
/// <param name="Path">The file.</param>
/// <param name="Container">PNG, JPEG, WebP (lossy), WebP (lossless), GIF, BMP, TGA or PBM, decided by content.</param>
/// <param name="Width">Width as stored (before EXIF orientation).</param>
/// <param name="Height">Height as stored (0 when a JPEG defines it only after its first scan).</param>
/// <param name="BitDepth">Bits per sample (PNG bit depth, JPEG precision, 8 for WebP); 0 when the header gives only bits per pixel.</param>
/// <param name="Colour">gray, gray+alpha, RGB, RGBA, palette, palette+alpha or CMYK; for other containers "N bits/pixel".</param>
/// <param name="JpegQuality">JPEG only: the quality 1–100 whose IJG-scaled standard luminance table is nearest the file's (see <see cref="TrainingSetFormat.EstimateJpegQuality"/>); null when the file has no luminance table before its first scan.</param>
/// <param name="ChromaSubsampling">Colour JPEG only: 4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1 or the raw sampling factors.</param>
/// <param name="HasExif">Whether the file holds an EXIF block (JPEG APP1, PNG eXIf or raw-profile text, WebP EXIF).</param>
public sealed record ImageFileFormat(string Path, string Container, int Width, int Height, int BitDepth, string Colour,
                                     int? JpegQuality, string? ChromaSubsampling, bool HasExif)
{
    /// <summary>Whether the pixels carry transparency (an alpha channel or a transparent colour).</summary>
    public bool HasAlpha => Colour.EndsWith("alpha", StringComparison.Ordinal) || Colour == "RGBA";

    /// <summary>Bit depth and colour in words, e.g. "8-bit RGB" or "16-bit gray+alpha".</summary>
    public string PixelFormat => BitDepth > 0 ? string.Create(CultureInfo.InvariantCulture, $"{BitDepth}-bit {Colour}") : Colour;
}

/// <summary>The files of one class, as the format check read them.</summary>
/// <param name="Name">The class, as messages name it ("real", "generated").</param>
/// <param name="Files">Every file whose header could be read.</param>
/// <param name="Unreadable">Files that are not images Dif reads (fitting reports them itself).</param>
public sealed record ClassFormat(string Name, IReadOnlyList<ImageFileFormat> Files, int Unreadable);

/// <summary>The result of <see cref="TrainingSetFormat.Compare"/>: both classes' files and every difference
/// of format between them, in plain words.</summary>
/// <param name="Real">The real images.</param>
/// <param name="Generated">The generated images.</param>
/// <param name="Warnings">One sentence per difference, naming the classes and the numbers, e.g.
/// "container: real: 100% JPEG (quality ≈ 92); generated: 100% PNG". Empty when the classes are stored alike.</param>
public sealed record FormatBiasReport(ClassFormat Real, ClassFormat Generated, IReadOnlyList<string> Warnings)
{
    /// <summary>What to do about the warnings (null when there are none), given the harmonisation in use.</summary>
    public string? Advice(Harmonisation? harmonisation = null)
    {
        if (Warnings.Count == 0) return null;
        return harmonisation is null
            ? "A fingerprint fitted on these files may learn how they are stored instead of the generative model. Store both classes alike, " +
              "or harmonise them: every image re-encoded identically in memory (dif --harmonise jpeg:90, -Harmonise 'jpeg:90', ImageLoadOptions.Harmonise)."
            : $"Every image is harmonised as {harmonisation}, which re-encodes both classes alike; differences of size, and the real images' earlier compression, remain.";
    }
}

/// <summary>The training-data format check: compares how the real and the generated training images are
/// stored, from their headers (no pixel is decoded), and says what differs. A detector fitted on JPEG
/// photos against PNG fakes can learn the container instead of the model, and then fails once both are
/// stored alike.</summary>
/// <remarks>
/// <para>What is read: the container, decided by content as <see cref="ImageLoader"/> does; for JPEG the
/// quantisation tables (→ an estimated quality), the precision, the components and their chroma
/// subsampling, and whether an EXIF APP1 segment is present; for PNG the IHDR (size, bit depth, colour type)
/// and whether tRNS or EXIF (eXIf, or a "Raw profile type exif" text chunk) follow; for WebP lossy or
/// lossless, size, alpha and EXIF; for the other containers ImageSharp's header-only Identify. Every length
/// in a file is checked against the file before it is followed, and nothing is allocated from one: a
/// damaged header makes the file unreadable, never an exception.</para>
/// <para>What is reported (each a <see cref="FormatBiasReport.Warnings"/> entry): container, bit depth and
/// colour, JPEG chroma subsampling, and EXIF presence when some value's share of a class differs by
/// <see cref="ShareThreshold"/> (10 percentage points) or more between the classes; the JPEG quality when both
/// classes hold JPEGs whose median estimates differ by <see cref="QualityThreshold"/> or more; the image size
/// when the classes' pixel-count ranges do not overlap or their medians differ by <see cref="SizeRatioThreshold"/>
/// times or more. Classes stored alike give no warning.</para>
/// <para>JPEG quality: the luminance table (the one the first component uses) is compared with the IJG
/// standard luminance table (ITU-T T.81 Annex K) scaled for each quality Q = 1…100 as libjpeg, ImageSharp and
/// Pillow scale it (factor 5000/Q below 50, 200 − 2Q from 50, entries (t·f + 50)/100 clamped to 1…255); the Q
/// with the smallest summed absolute difference is the estimate. It is exact for files written with those
/// tables (tested on ImageSharp's, Q 1–100) and an approximation for cameras and encoders with tables of their own.</para>
/// </remarks>
public static class TrainingSetFormat
{
    /// <summary>Share difference (0.10 = 10 percentage points) from which a property's distributions count as different.</summary>
    public const double ShareThreshold = 0.10;
    /// <summary>Difference of median JPEG quality estimates from which qualities count as different.</summary>
    public const int QualityThreshold = 3;
    /// <summary>Ratio of median pixel counts from which sizes count as different.</summary>
    public const double SizeRatioThreshold = 1.5;

    private const int MaxSegments = 10_000;

    /// <summary>Reads the format of every file of both classes and lists the differences.</summary>
    /// <param name="realFiles">The real training images.</param>
    /// <param name="generatedFiles">The generated training images.</param>
    /// <param name="cancellationToken">Checked between files.</param>
    public static FormatBiasReport Compare(IEnumerable<string> realFiles, IEnumerable<string> generatedFiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(realFiles);
        ArgumentNullException.ThrowIfNull(generatedFiles);
        var real = ReadClass("real", realFiles, cancellationToken);
        var generated = ReadClass("generated", generatedFiles, cancellationToken);
        return new FormatBiasReport(real, generated, Differences(real, generated));
    }

    private static ClassFormat ReadClass(string name, IEnumerable<string> files, CancellationToken cancellationToken)
    {
        var read = new List<ImageFileFormat>();
        int unreadable = 0;
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Read(file) is { } f) read.Add(f);
            else unreadable++;
        }
        return new ClassFormat(name, read, unreadable);
    }

    /// <summary>The format of one file from its header, or null when it is not an image Dif reads (or cannot be opened).</summary>
    public static ImageFileFormat? Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
            return Read(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The format of an image held in a seekable stream; <paramref name="path"/> names it.</summary>
    public static ImageFileFormat? Read(Stream stream, string path)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek || !stream.CanRead) throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        var head = new byte[(int)Math.Min(stream.Length, 1024)]; // more than any registered format detector looks at
        if (head.Length == 0 || !ReadAt(stream, 0, head)) return null;
        var format = Image.DetectFormat(ImageLoader.Configuration, head);
        try
        {
            return format switch
            {
                null => null,
                PngFormat => Png(stream, path),
                JpegFormat => Jpeg(stream, path),
                WebpFormat => Webp(stream, path),
                _ => Identified(stream, path, format.Name),
            };
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException or StackOverflowException or AccessViolationException))
        {
            return null; // a header our readers or ImageSharp's Identify could not follow: unreadable, as decoding would find
        }
    }

    // ---- PNG ----

    private static ImageFileFormat? Png(Stream f, string path)
    {
        long length = f.Length;
        Span<byte> header = stackalloc byte[8];
        Span<byte> ihdr = stackalloc byte[13];
        if (!ReadAt(f, 8, header) || !header[4..8].SequenceEqual("IHDR"u8) || BinaryPrimitives.ReadUInt32BigEndian(header) != 13 || !ReadAt(f, 16, ihdr))
            return null;
        uint width = BinaryPrimitives.ReadUInt32BigEndian(ihdr), height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue) return null;
        int bitDepth = ihdr[8], colourType = ihdr[9];
        bool transparent = false, exif = false;
        Span<byte> keyword = stackalloc byte[22];
        long p = 8 + 8 + 13 + 4;
        for (int n = 0; n < MaxSegments && p + 8 <= length; n++)
        {
            if (!ReadAt(f, p, header)) break;
            uint size = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (size > int.MaxValue || p + 12 + size > length) break; // a chunk running past the end: stop here
            var type = header[4..8];
            if (type.SequenceEqual("IEND"u8)) break;
            if (type.SequenceEqual("tRNS"u8)) transparent = true;
            else if (type.SequenceEqual("eXIf"u8)) exif = true;
            else if ((type.SequenceEqual("tEXt"u8) || type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iTXt"u8)) && size >= keyword.Length && ReadAt(f, p + 8, keyword))
                exif |= keyword.SequenceEqual("Raw profile type exif\0"u8) || keyword.SequenceEqual("Raw profile type APP1\0"u8); // ImageMagick's EXIF in text
            p += 12 + size;
        }
        string colour = colourType switch
        {
            0 => transparent ? "gray+alpha" : "gray",
            2 => transparent ? "RGBA" : "RGB",
            3 => transparent ? "palette+alpha" : "palette",
            4 => "gray+alpha",
            6 => "RGBA",
            _ => $"colour type {colourType}",
        };
        return new ImageFileFormat(path, "PNG", (int)width, (int)height, bitDepth, colour, null, null, exif);
    }

    // ---- JPEG ----

    private static ImageFileFormat? Jpeg(Stream f, string path)
    {
        long length = f.Length;
        var tables = new ushort[4][];
        Span<byte> marker = stackalloc byte[4];
        Span<byte> app = stackalloc byte[6];
        int precision = 0, width = 0, height = 0, components = 0, lumaTable = 0;
        string? subsampling = null;
        bool exif = false, frame = false;
        long p = 2;
        for (int n = 0; n < MaxSegments && p + 2 <= length; n++)
        {
            if (!ReadAt(f, p, marker[..2]) || marker[0] != 0xFF) break;
            byte m = marker[1];
            if (m == 0xFF) { p++; continue; }                                    // fill byte
            if (m is 0xD8 or 0x01 or >= 0xD0 and <= 0xD7) { p += 2; continue; }   // no length
            if (m is 0xD9 or 0xDA) break;                                         // end of image, or the first scan
            if (!ReadAt(f, p, marker)) break;
            int size = BinaryPrimitives.ReadUInt16BigEndian(marker[2..]);
            if (size < 2 || p + 2 + size > length) break;
            long data = p + 4;
            int dataLength = size - 2;
            if (m == 0xE1 && dataLength >= 6 && ReadAt(f, data, app) && app.SequenceEqual("Exif\0\0"u8)) exif = true;
            else if (m == 0xDB)
            {
                var dqt = new byte[dataLength]; // at most 65533 bytes: the length field is 16 bits
                if (!ReadAt(f, data, dqt)) break;
                ReadQuantisationTables(dqt, tables);
            }
            else if (!frame && m is >= 0xC0 and <= 0xCF && m is not (0xC4 or 0xC8 or 0xCC))
            {
                var sof = new byte[dataLength];
                if (dataLength < 6 || !ReadAt(f, data, sof)) break;
                precision = sof[0];
                height = BinaryPrimitives.ReadUInt16BigEndian(sof.AsSpan(1));
                width = BinaryPrimitives.ReadUInt16BigEndian(sof.AsSpan(3));
                components = sof[5];
                if (components == 0 || 6 + 3 * components > dataLength) break;
                lumaTable = sof[8] & 0x03;
                if (components == 3) subsampling = Subsampling(sof.AsSpan(6, 9));
                frame = true;
            }
            p += 2 + size;
        }
        if (!frame || width == 0) return null;
        string colour = components switch { 1 => "gray", 3 => "RGB", 4 => "CMYK", _ => $"{components} components" };
        int? quality = tables[lumaTable] is { } luma ? EstimateJpegQuality(luma) : null;
        return new ImageFileFormat(path, "JPEG", width, height, precision, colour, quality, subsampling, exif);
    }

    /// <summary>Fills <paramref name="tables"/> (by destination 0–3, zigzag order) from one DQT segment's payload.</summary>
    private static void ReadQuantisationTables(ReadOnlySpan<byte> d, ushort[][] tables)
    {
        int p = 0;
        while (p < d.Length)
        {
            int pq = d[p] >> 4, tq = d[p] & 0x0F;
            int bytes = pq == 0 ? 64 : 128;
            if (tq > 3 || pq > 1 || p + 1 + bytes > d.Length) return;
            var t = new ushort[64];
            for (int k = 0; k < 64; k++)
                t[k] = pq == 0 ? d[p + 1 + k] : BinaryPrimitives.ReadUInt16BigEndian(d[(p + 1 + 2 * k)..]);
            tables[tq] = t;
            p += 1 + bytes;
        }
    }

    private static string Subsampling(ReadOnlySpan<byte> c)
    {
        int h1 = c[1] >> 4, v1 = c[1] & 15, h2 = c[4] >> 4, v2 = c[4] & 15, h3 = c[7] >> 4, v3 = c[7] & 15;
        if (h2 == h3 && v2 == v3 && h2 > 0 && v2 > 0 && h1 % h2 == 0 && v1 % v2 == 0)
        {
            var named = (h1 / h2, v1 / v2) switch { (1, 1) => "4:4:4", (2, 1) => "4:2:2", (2, 2) => "4:2:0", (1, 2) => "4:4:0", (4, 1) => "4:1:1", _ => null };
            if (named is not null) return named;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{h1}x{v1},{h2}x{v2},{h3}x{v3}");
    }

    /// <summary>ITU-T T.81 Annex K luminance table, natural (row-major) order.</summary>
    private static readonly byte[] StandardLuminance =
    [
        16, 11, 10, 16, 24, 40, 51, 61,
        12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77,
        24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101,
        72, 92, 95, 98, 112, 100, 103, 99,
    ];

    /// <summary>Natural index of each zigzag position (DQT segments store tables in zigzag order).</summary>
    private static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <summary>The IJG quality (1–100) whose scaled standard luminance table is nearest <paramref name="zigzagTable"/>
    /// (64 entries in zigzag order, as a DQT segment stores them): the smallest summed absolute difference, the
    /// lower quality on a tie. Exact for tables libjpeg, ImageSharp or Pillow wrote.</summary>
    public static int EstimateJpegQuality(IReadOnlyList<ushort> zigzagTable)
    {
        ArgumentNullException.ThrowIfNull(zigzagTable);
        if (zigzagTable.Count != 64) throw new ArgumentException("A quantisation table has 64 entries.", nameof(zigzagTable));
        int best = 1;
        long bestError = long.MaxValue;
        for (int q = 1; q <= 100; q++)
        {
            int scale = q < 50 ? 5000 / q : 200 - 2 * q;
            long error = 0;
            for (int k = 0; k < 64; k++)
            {
                int expected = Math.Clamp((StandardLuminance[ZigZag[k]] * scale + 50) / 100, 1, 255);
                error += Math.Abs(zigzagTable[k] - expected);
            }
            if (error < bestError) (best, bestError) = (q, error);
        }
        return best;
    }

    // ---- WebP ----

    private static ImageFileFormat? Webp(Stream f, string path)
    {
        long length = f.Length;
        Span<byte> chunk = stackalloc byte[8];
        Span<byte> d = stackalloc byte[10];
        bool exif = false, alpha = false, lossless = false, found = false, extended = false;
        int width = 0, height = 0;
        long p = 12;
        for (int n = 0; n < MaxSegments && p + 8 <= length; n++)
        {
            if (!ReadAt(f, p, chunk)) break;
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
            if (size > int.MaxValue || p + 8 + size > length) break;
            var type = chunk[..4];
            int take = (int)Math.Min(size, d.Length);
            if (!ReadAt(f, p + 8, d[..take])) break;
            if (type.SequenceEqual("VP8X"u8) && take >= 10)
            {
                extended = true;
                exif |= (d[0] & 0x08) != 0;
                alpha |= (d[0] & 0x10) != 0;
                width = (d[4] | d[5] << 8 | d[6] << 16) + 1;
                height = (d[7] | d[8] << 8 | d[9] << 16) + 1;
            }
            else if (type.SequenceEqual("EXIF"u8)) exif = true;
            else if (type.SequenceEqual("ALPH"u8)) alpha = true;
            else if (!found && type.SequenceEqual("VP8 "u8) && take >= 10 && d[3] == 0x9D && d[4] == 0x01 && d[5] == 0x2A)
            {
                found = true;
                if (!extended) { width = BinaryPrimitives.ReadUInt16LittleEndian(d[6..]) & 0x3FFF; height = BinaryPrimitives.ReadUInt16LittleEndian(d[8..]) & 0x3FFF; }
            }
            else if (!found && type.SequenceEqual("VP8L"u8) && take >= 5 && d[0] == 0x2F)
            {
                found = lossless = true;
                uint bits = BinaryPrimitives.ReadUInt32LittleEndian(d[1..]);
                alpha |= ((bits >> 28) & 1) != 0;
                if (!extended) { width = (int)(bits & 0x3FFF) + 1; height = (int)((bits >> 14) & 0x3FFF) + 1; }
            }
            else if (type.SequenceEqual("ANMF"u8)) found = true; // animated: Dif reads the first frame
            p += 8 + size + (size & 1);
        }
        if (!found || width <= 0 || height <= 0) return null;
        return new ImageFileFormat(path, lossless ? "WebP (lossless)" : "WebP (lossy)", width, height, 8, alpha ? "RGBA" : "RGB", null, null, exif);
    }

    // ---- Other containers: ImageSharp's header-only Identify ----

    private static ImageFileFormat? Identified(Stream f, string path, string container)
    {
        f.Position = 0;
        var info = Image.Identify(ImageLoader.Configuration, f);
        if (info is null || info.Width <= 0 || info.Height <= 0) return null;
        return new ImageFileFormat(path, container, info.Width, info.Height, 0,
            string.Create(CultureInfo.InvariantCulture, $"{info.PixelType.BitsPerPixel} bits/pixel"), null, null, false);
    }

    private static bool ReadAt(Stream f, long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > f.Length) return false;
        f.Position = offset;
        f.ReadExactly(destination);
        return true;
    }

    // ---- Comparison ----

    private static List<string> Differences(ClassFormat a, ClassFormat b)
    {
        var warnings = new List<string>();
        if (a.Files.Count == 0 || b.Files.Count == 0) return warnings;

        if (SharesDiffer(a.Files, b.Files, f => f.Container))
            warnings.Add($"container: {a.Name}: {Distribution(a.Files, f => f.Container, ContainerDetail)}; {b.Name}: {Distribution(b.Files, f => f.Container, ContainerDetail)}");

        var aJpeg = a.Files.Where(f => f.JpegQuality is not null).ToList();
        var bJpeg = b.Files.Where(f => f.JpegQuality is not null).ToList();
        if (aJpeg.Count > 0 && bJpeg.Count > 0 && Math.Abs(Median(aJpeg, f => f.JpegQuality!.Value) - Median(bJpeg, f => f.JpegQuality!.Value)) >= QualityThreshold)
            warnings.Add($"JPEG quality: {a.Name}: {Quality(aJpeg)}; {b.Name}: {Quality(bJpeg)}");

        var aChroma = a.Files.Where(f => f.ChromaSubsampling is not null).ToList();
        var bChroma = b.Files.Where(f => f.ChromaSubsampling is not null).ToList();
        if (aChroma.Count > 0 && bChroma.Count > 0 && SharesDiffer(aChroma, bChroma, f => f.ChromaSubsampling!))
            warnings.Add($"JPEG chroma subsampling: {a.Name}: {Distribution(aChroma, f => f.ChromaSubsampling!)}; {b.Name}: {Distribution(bChroma, f => f.ChromaSubsampling!)}");

        if (SharesDiffer(a.Files, b.Files, f => f.PixelFormat))
            warnings.Add($"bit depth and colour: {a.Name}: {Distribution(a.Files, f => f.PixelFormat)}; {b.Name}: {Distribution(b.Files, f => f.PixelFormat)}");

        if (SharesDiffer(a.Files, b.Files, f => f.HasExif ? "EXIF" : "none"))
            warnings.Add($"EXIF metadata: {a.Name}: {Percent(a.Files.Count(f => f.HasExif), a.Files.Count)} of files have it; {b.Name}: {Percent(b.Files.Count(f => f.HasExif), b.Files.Count)}");

        if (SizeDifference(a.Files, b.Files) is { } why)
            warnings.Add($"image size: {a.Name}: {Sizes(a.Files)}; {b.Name}: {Sizes(b.Files)}; {why}");
        return warnings;
    }

    private static bool SharesDiffer(IReadOnlyList<ImageFileFormat> a, IReadOnlyList<ImageFileFormat> b, Func<ImageFileFormat, string> key)
    {
        var keys = a.Select(key).Concat(b.Select(key)).Distinct();
        return keys.Any(k => Math.Abs((double)a.Count(f => key(f) == k) / a.Count - (double)b.Count(f => key(f) == k) / b.Count) >= ShareThreshold - 1e-9);
    }

    /// <summary>"80% JPEG (quality ≈ 90), 20% PNG": each value's share, largest first.</summary>
    private static string Distribution(IReadOnlyList<ImageFileFormat> files, Func<ImageFileFormat, string> key, Func<IReadOnlyList<ImageFileFormat>, string>? detail = null)
        => string.Join(", ", files.GroupBy(key).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{Percent(g.Count(), files.Count)} {g.Key}{detail?.Invoke(g.ToList())}"));

    private static string ContainerDetail(IReadOnlyList<ImageFileFormat> group)
    {
        var jpeg = group.Where(f => f.JpegQuality is not null).ToList();
        return jpeg.Count == 0 ? "" : $" ({Quality(jpeg)})";
    }

    private static string Quality(IReadOnlyList<ImageFileFormat> jpeg)
    {
        int min = jpeg.Min(f => f.JpegQuality!.Value), max = jpeg.Max(f => f.JpegQuality!.Value);
        return min == max ? $"quality ≈ {min}"
            : string.Create(CultureInfo.InvariantCulture, $"quality ≈ {Median(jpeg, f => f.JpegQuality!.Value):0.#} median, {min}–{max}");
    }

    private static string? SizeDifference(IReadOnlyList<ImageFileFormat> a, IReadOnlyList<ImageFileFormat> b)
    {
        static long Pixels(ImageFileFormat f) => (long)f.Width * f.Height;
        if (a.Max(Pixels) < b.Min(Pixels) || b.Max(Pixels) < a.Min(Pixels)) return "the size ranges do not overlap";
        double ma = Median(a, f => Pixels(f)), mb = Median(b, f => Pixels(f));
        double ratio = Math.Max(ma, mb) / Math.Max(1, Math.Min(ma, mb));
        return ratio >= SizeRatioThreshold ? string.Create(CultureInfo.InvariantCulture, $"the median pixel counts differ {ratio:0.0}×") : null;
    }

    /// <summary>"all 512×512", or "median 640×480 (320×240 to 1024×768)": median width and height, and the smallest and largest file.</summary>
    private static string Sizes(IReadOnlyList<ImageFileFormat> files)
    {
        static string Size(ImageFileFormat f) => string.Create(CultureInfo.InvariantCulture, $"{f.Width}×{f.Height}");
        if (files.All(f => f.Width == files[0].Width && f.Height == files[0].Height)) return "all " + Size(files[0]);
        var bySize = files.OrderBy(f => (long)f.Width * f.Height).ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"median {Median(files, f => f.Width):0.#}×{Median(files, f => f.Height):0.#} ({Size(bySize[0])} to {Size(bySize[^1])})");
    }

    private static double Median(IReadOnlyList<ImageFileFormat> files, Func<ImageFileFormat, double> value)
    {
        var v = files.Select(value).Order().ToList();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    private static string Percent(int n, int total) => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(100.0 * n / total):0}%");
}
