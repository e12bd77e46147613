using System.Buffers.Binary;

namespace Dif.Imaging;

/// <summary>Reads only the EXIF orientation tag (0x0112) from JPEG APP1 and PNG eXIf data. Dif
/// decodes with metadata parsing off (keeping ImageSharp's ICC/EXIF parsers unreachable), so
/// this small, bounds-checked reader is the one piece of metadata it honours.</summary>
internal static class ExifOrientation
{
    /// <summary>The orientation 1–8, or 1 when absent or unreadable.</summary>
    public static int Read(ReadOnlySpan<byte> file)
    {
        try
        {
            if (file.Length > 4 && file[0] == 0xFF && file[1] == 0xD8) return FromJpeg(file);
            if (file.Length > 8 && file[..8].SequenceEqual(PngSignature)) return FromPng(file);
        }
        catch (ArgumentOutOfRangeException) { }
        return 1;
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static int FromJpeg(ReadOnlySpan<byte> f)
    {
        int p = 2;
        while (p + 4 <= f.Length)
        {
            if (f[p] != 0xFF) return 1;
            byte marker = f[p + 1];
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { p += 2; continue; }
            if (marker == 0xFF) { p++; continue; }
            if (marker == 0xDA || marker == 0xD9) return 1; // pixel data starts: no EXIF before it
            int len = BinaryPrimitives.ReadUInt16BigEndian(f[(p + 2)..]);
            if (len < 2 || p + 2 + len > f.Length) return 1;
            var segment = f.Slice(p + 4, len - 2);
            if (marker == 0xE1 && segment.Length > 6 && segment[..6].SequenceEqual("Exif\0\0"u8))
                return FromTiff(segment[6..]);
            p += 2 + len;
        }
        return 1;
    }

    private static int FromPng(ReadOnlySpan<byte> f)
    {
        int p = 8;
        while (p + 12 <= f.Length)
        {
            uint len = BinaryPrimitives.ReadUInt32BigEndian(f[p..]);
            if (len > (uint)(f.Length - p - 12)) return 1;
            var type = f.Slice(p + 4, 4);
            if (type.SequenceEqual("eXIf"u8)) return FromTiff(f.Slice(p + 8, (int)len));
            if (type.SequenceEqual("IEND"u8)) return 1;
            p += 12 + (int)len;
        }
        return 1;
    }

    private static int FromTiff(ReadOnlySpan<byte> t)
    {
        if (t.Length < 8) return 1;
        bool little = t[0] == (byte)'I' && t[1] == (byte)'I';
        bool big = t[0] == (byte)'M' && t[1] == (byte)'M';
        if (!little && !big) return 1;
        uint ifd = U32(t, 4, little);
        if (ifd > (uint)(t.Length - 2)) return 1;
        int count = U16(t, (int)ifd, little);
        for (int i = 0; i < count; i++)
        {
            int e = (int)ifd + 2 + 12 * i;
            if (e + 12 > t.Length) return 1;
            if (U16(t, e, little) == 0x0112 && U16(t, e + 2, little) == 3)
            {
                int v = U16(t, e + 8, little);
                return v is >= 1 and <= 8 ? v : 1;
            }
        }
        return 1;
    }

    private static ushort U16(ReadOnlySpan<byte> t, int at, bool little)
        => little ? BinaryPrimitives.ReadUInt16LittleEndian(t[at..]) : BinaryPrimitives.ReadUInt16BigEndian(t[at..]);

    private static uint U32(ReadOnlySpan<byte> t, int at, bool little)
        => little ? BinaryPrimitives.ReadUInt32LittleEndian(t[at..]) : BinaryPrimitives.ReadUInt32BigEndian(t[at..]);
}
