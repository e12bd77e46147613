using System.Buffers.Binary;

namespace Dif.Imaging;

/// <summary>Small, bounds-checked readers of container structure that ImageSharp 2.1 does not check (or
/// does not support) before Dif decodes: whether a JPEG is complete, and the first frame of an animated
/// WebP. They read bytes only; no pixel is decoded here.</summary>
internal static class ContainerChecks
{
    /// <summary>True when the JPEG has an end-of-image marker after its first scan. ImageSharp decodes a
    /// JPEG cut off mid-scan without complaint and fills the missing blocks with gray, which would give
    /// a residual of a picture that does not exist; a complete file always ends its data with FF D9.</summary>
    public static bool JpegIsComplete(ReadOnlySpan<byte> f)
    {
        int p = 2;
        while (p + 4 <= f.Length)
        {
            if (f[p] != 0xFF) return true; // not a segment structure we can follow: let the decoder judge
            byte marker = f[p + 1];
            if (marker == 0xFF) { p++; continue; }
            if (marker == 0xD8 || marker is >= 0xD0 and <= 0xD7 || marker == 0x01) { p += 2; continue; }
            if (marker == 0xD9) return true;
            int len = BinaryPrimitives.ReadUInt16BigEndian(f[(p + 2)..]);
            if (len < 2 || p + 2 + len > f.Length) return false; // a header segment runs past the end
            if (marker == 0xDA)
            {
                // Entropy-coded data follows; FF D9 can only be a marker there (data bytes FF are stuffed as FF 00).
                return f[(p + 2 + len)..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;
            }
            p += 2 + len;
        }
        return false;
    }

    /// <summary>For an animated WebP (VP8X with the animation flag), a still WebP holding just its first
    /// frame, which is all Dif uses (ImageSharp 2.1 refuses animated WebP outright). Other WebP files are
    /// returned as they are. The canvas is checked against <see cref="ImageLoadOptions.MaxPixels"/> first.</summary>
    public static byte[] WebpFirstFrame(byte[] bytes, string source, ImageLoadOptions options)
    {
        var f = bytes.AsSpan();
        if (f.Length < 30 || !f[..4].SequenceEqual("RIFF"u8) || !f[8..12].SequenceEqual("WEBP"u8) || !f[12..16].SequenceEqual("VP8X"u8))
            return bytes;
        var vp8x = Chunk(f, 12, source);
        if ((vp8x.Data[0] & 0x02) == 0) return bytes; // a still image with extended features
        long canvasWidth = U24(vp8x.Data, 4) + 1L, canvasHeight = U24(vp8x.Data, 7) + 1L;
        if (canvasWidth * canvasHeight > options.MaxPixels)
            throw new DifImageException(source, $"is an animated WebP of {canvasWidth}×{canvasHeight} = {canvasWidth * canvasHeight} pixels, over the limit of {options.MaxPixels} (ImageLoadOptions.MaxPixels).");
        for (int p = vp8x.Next; p + 8 <= f.Length;)
        {
            var chunk = Chunk(f, p, source);
            if (chunk.FourCc.SequenceEqual("ANMF"u8))
            {
                var d = chunk.Data;
                if (d.Length < 16 + 8) throw Damaged(source, "its first animation frame is too short");
                long x = 2L * U24(d, 0), y = 2L * U24(d, 3), w = U24(d, 6) + 1L, h = U24(d, 9) + 1L;
                if (x != 0 || y != 0 || w != canvasWidth || h != canvasHeight)
                    throw new DifImageException(source, $"is an animated WebP whose first frame ({w}×{h} at {x},{y}) does not cover its {canvasWidth}×{canvasHeight} canvas; Dif reads only full first frames.");
                return StillWebp(d[16..].ToArray(), (int)w, (int)h, source);
            }
            p = chunk.Next;
        }
        throw Damaged(source, "it is marked animated but holds no frame");
    }

    /// <summary>A still WebP file from an ANMF frame's chunks: VP8L or VP8 alone, or ALPH + VP8 behind a VP8X header.</summary>
    private static byte[] StillWebp(byte[] frameChunks, int width, int height, string source)
    {
        var first = Chunk(frameChunks, 0, source);
        bool alpha = first.FourCc.SequenceEqual("ALPH"u8);
        bool image = first.FourCc.SequenceEqual("VP8L"u8) || first.FourCc.SequenceEqual("VP8 "u8);
        if (!alpha && !image) throw Damaged(source, "its first animation frame holds no image data");
        using var o = new MemoryStream();
        o.Write("RIFF"u8);
        o.Write(new byte[4]);
        o.Write("WEBP"u8);
        if (alpha)
        {
            o.Write("VP8X"u8);
            Span<byte> header = stackalloc byte[14];
            header.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(header, 10);
            header[4] = 0x10; // alpha flag
            WriteU24(header[8..], width - 1);
            WriteU24(header[11..], height - 1);
            o.Write(header);
        }
        o.Write(frameChunks);
        var result = o.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)(result.Length - 8));
        return result;
    }

    private readonly ref struct RiffChunk(ReadOnlySpan<byte> fourCc, ReadOnlySpan<byte> data, int next)
    {
        public ReadOnlySpan<byte> FourCc { get; } = fourCc;
        public ReadOnlySpan<byte> Data { get; } = data;
        public int Next { get; } = next;
    }

    private static RiffChunk Chunk(ReadOnlySpan<byte> f, int p, string source)
    {
        if (p + 8 > f.Length) throw Damaged(source, "a chunk header runs past the end of the file");
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(f[(p + 4)..]);
        if (size > (uint)(f.Length - p - 8)) throw Damaged(source, $"a chunk claims {size} bytes but the file ends first (truncated)");
        long next = p + 8L + size + (size & 1);
        return new RiffChunk(f.Slice(p, 4), f.Slice(p + 8, (int)size), (int)Math.Min(next, f.Length));
    }

    private static DifImageException Damaged(string source, string why) => new(source, $"is a damaged WebP file: {why}.");

    private static int U24(ReadOnlySpan<byte> d, int at) => d[at] | (d[at + 1] << 8) | (d[at + 2] << 16);

    private static void WriteU24(Span<byte> d, int v)
    {
        d[0] = (byte)v;
        d[1] = (byte)(v >> 8);
        d[2] = (byte)(v >> 16);
    }
}
