using System.Buffers.Binary;
using System.Text;
using CsCheck;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Persistence;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;

namespace Dif.Tests.Reliability;

/// <summary>Property-based fuzzing (CsCheck) of the two places hostile bytes enter: the safetensors reader and
/// the image entry point. The property: any input either loads or raises Dif's own exception for that kind
/// of file (which names it) — never another exception type, a crash or an allocation out of proportion to
/// the input. Bounded (a few thousand cases, one thread) so the suite stays fast;
/// CsCheck prints the seed of a failing case to reproduce it.</summary>
public sealed class FuzzTests
{
    private const int Threads = 1; // the suite shares two cores with other work

    private static void OnlyModelFileErrors(Action read, long inputBytes)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try { read(); }
        catch (DifModelFileException) { }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > 16 * inputBytes + 4_000_000)
            throw new Exception($"{allocated} bytes allocated for a {inputBytes}-byte input.");
    }

    [Fact]
    public void Safetensors_reader_refuses_random_bytes_with_its_own_error()
        => Gen.Byte.Array[0, 400].Sample(bytes => OnlyModelFileErrors(() => SafeTensors.Read(bytes, "fuzz"), bytes.Length),
                                        iter: 3000, threads: Threads);

    /// <summary>Headers that are JSON and nearly right: the interesting lies (dtype, shape, offsets, length field).</summary>
    private static readonly Gen<byte[]> NearlyValidFile =
        from entries in Gen.Select(
                Gen.OneOf("w", "b", "__metadata__", ""),
                Gen.OneOf("F32", "F16", "I64", "BF16", "C64", "", "f32"),
                Gen.OneOf(-1L, 0L, 1L, 2L, 3L, 4L, 1L << 31, 1L << 62, long.MaxValue).Array[0, 4],
                Gen.OneOf(-8L, 0L, 4L, 8L, 12L, 16L, 1L << 40, long.MaxValue).Array[2, 2])
            .Array[0, 3]
        from dataBytes in Gen.Int[0, 32]
        from lengthLie in Gen.OneOf(0L, 1L, -1L, 7L, 1L << 33, long.MinValue)
        from pad in Gen.Bool
        select Build(entries, dataBytes, lengthLie, pad);

    private static byte[] Build((string Name, string DType, long[] Shape, long[] Offsets)[] entries, int dataBytes, long lengthLie, bool pad)
    {
        var json = new StringBuilder("{");
        for (int i = 0; i < entries.Length; i++)
        {
            var (name, dtype, shape, offsets) = entries[i];
            if (i > 0) json.Append(',');
            json.Append($"\"{name}{i}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offsets[0]},{offsets[1]}]}}");
        }
        json.Append('}');
        if (pad) while (json.Length % 8 != 0) json.Append(' ');
        var header = Encoding.UTF8.GetBytes(json.ToString());
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(header.Length + lengthLie));
        header.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void Safetensors_reader_refuses_lying_headers_with_its_own_error()
        => NearlyValidFile.Sample(bytes => OnlyModelFileErrors(() => SafeTensors.Read(bytes, "fuzz"), bytes.Length),
                                  iter: 3000, threads: Threads);

    [Fact]
    public void Damaged_fingerprint_files_are_refused_with_their_own_error()
    {
        using var dir = new TestFiles();
        var r = new Random(3);
        var original = dir.PathOf("fp.safetensors");
        new Fingerprint(Enumerable.Range(0, 3 * 16 * 16).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray(), 16, 0.01, 0.05,
                        new ScoreCalibration(100, ScoreCalibration.Training, 4), "abc").Save(original);
        var good = File.ReadAllBytes(original);
        var path = dir.PathOf("mutated.safetensors");
        Mutations(good).Sample(bytes =>
        {
            File.WriteAllBytes(path, bytes);
            OnlyModelFileErrors(() => Fingerprint.Load(path), bytes.Length);
        }, iter: 300, threads: Threads);
    }

    /// <summary>A valid file with a few bytes overwritten, a cut, or a run of bytes duplicated.</summary>
    private static Gen<byte[]> Mutations(byte[] good) =>
        Gen.Int[0, 2].SelectMany(kind => kind switch
        {
            0 => Gen.Select(Gen.Int[0, good.Length - 1], Gen.Byte).Array[1, 6].Select(edits =>
            {
                var b = (byte[])good.Clone();
                foreach (var (at, value) in edits) b[at] = value;
                return b;
            }),
            1 => Gen.Int[0, good.Length - 1].Select(cut => good[..cut]),
            _ => Gen.Select(Gen.Int[0, good.Length - 1], Gen.Int[1, 64]).Select(t =>
            {
                int len = Math.Min(t.Item2, good.Length - t.Item1);
                return good[..t.Item1].Concat(good.AsSpan(t.Item1, len).ToArray()).Concat(good[t.Item1..]).ToArray();
            }),
        });

    [Fact]
    public void Image_entry_point_refuses_damaged_images_with_its_own_error()
    {
        // Small real files of every format Dif reads, each then damaged. A lower pixel limit than the
        // default keeps a mutated header from making one case decode a large (if allowed) picture.
        using var picture = BadImages.Picture(40, 36, 7);
        var originals = new[]
        {
            Encode(picture, new PngEncoder()), Encode(picture, new JpegEncoder { Quality = 80 }), Encode(picture, new GifEncoder()),
            Encode(picture, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }), Encode(picture, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy }),
            Encode(picture, new BmpEncoder()),
        };
        var options = new ImageLoadOptions { CropSize = 32, MaxPixels = 4_000_000 };
        Gen.Int[0, originals.Length - 1].SelectMany(i => Mutations(originals[i])).Sample(bytes =>
        {
            try
            {
                var image = ImageLoader.Load(bytes, "fuzz-image", options);
                if (image.Pixels.Length != 3 * 32 * 32) throw new Exception("wrong size");
            }
            catch (DifImageException e) when (e.Message.StartsWith("fuzz-image", StringComparison.Ordinal)) { }
        }, iter: 600, threads: Threads);
    }

    private static byte[] Encode(Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var ms = new MemoryStream();
        image.Save(ms, encoder);
        return ms.ToArray();
    }
}
