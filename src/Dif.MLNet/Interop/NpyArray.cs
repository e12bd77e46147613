using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Dif.Interop;

/// <summary>A numeric array from a numpy <c>.npy</c> file (the published DIF code keeps the DnCNN's bias
/// pattern F_DnCNN in one, <c>clean_real.npy</c>). Only little-endian float32/float64 arrays are read;
/// object arrays (pickled Python objects) are refused. The header is checked against the file's size
/// before anything is allocated.</summary>
public sealed partial class NpyArray
{
    /// <summary>Largest file read (1 GiB).</summary>
    public const long MaxFileBytes = 1L << 30;

    private NpyArray(long[] shape, float[] values)
    {
        Shape = shape;
        Values = values;
    }

    /// <summary>Shape, outermost first.</summary>
    public long[] Shape { get; }

    /// <summary>Values in row-major (C) order, as float32.</summary>
    public float[] Values { get; }

    /// <summary>Reads a .npy file; a damaged, foreign or unsupported file raises a <see cref="DifModelFileException"/> naming it.</summary>
    public static NpyArray Load(string path)
    {
        if (!File.Exists(path)) throw new DifModelFileException(path, "file not found.");
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new DifModelFileException(path, $"is {length} bytes, larger than the {MaxFileBytes} Dif reads.");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses .npy bytes; <paramref name="source"/> names them in errors.</summary>
    public static NpyArray Parse(ReadOnlySpan<byte> bytes, string source)
    {
        DifModelFileException Bad(string why) => new(source, $"is not a .npy array Dif reads: {why}.");
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (bytes.Length < 10 || !bytes.StartsWith(magic)) throw Bad("no NUMPY magic at the start");
        int major = bytes[6];
        int headerStart, headerLength;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]); headerStart = 10; }
        else if (major is 2 or 3 && bytes.Length >= 12)
        {
            uint n = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
            if (n > 1 << 20) throw Bad($"a header of {n} bytes");
            headerLength = (int)n;
            headerStart = 12;
        }
        else throw Bad($"format version {major}");
        if (headerStart + headerLength > bytes.Length) throw Bad("the header runs past the end of the file");
        var header = Encoding.Latin1.GetString(bytes.Slice(headerStart, headerLength));

        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success) throw Bad("the header has no descr, fortran_order or shape");
        var type = descr.Groups[1].Value;
        if (type.Contains('O')) throw Bad("it holds pickled Python objects (dtype object), which Dif does not read");
        int size = type switch { "<f4" => 4, "<f8" => 8, _ => throw Bad($"dtype '{type}' (Dif reads little-endian float32 '<f4' and float64 '<f8')") };
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw Bad($"shape entry '{d}'")).ToArray();
        long count = 1;
        foreach (var d in shape) count = d == 0 ? 0 : count > int.MaxValue / d ? throw Bad("the shape is too large") : count * d;
        var data = bytes[(headerStart + headerLength)..];
        if (data.Length != count * size) throw Bad($"the shape [{string.Join(",", shape)}] needs {count * size} bytes of data but the file holds {data.Length}");

        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
            values[i] = size == 4 ? BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]) : (float)BinaryPrimitives.ReadDoubleLittleEndian(data[(8 * i)..]);
        if (fortran.Groups[1].Value == "True") values = FortranToC(values, shape);
        return new NpyArray(shape, values);
    }

    private static float[] FortranToC(float[] values, long[] shape)
    {
        var result = new float[values.Length];
        var strides = new long[shape.Length];   // column-major strides
        long s = 1;
        for (int d = 0; d < shape.Length; d++) { strides[d] = s; s *= shape[d]; }
        var index = new long[shape.Length];
        for (int i = 0; i < result.Length; i++)
        {
            long f = 0;
            for (int d = 0; d < shape.Length; d++) f += index[d] * strides[d];
            result[i] = values[f];
            for (int d = shape.Length - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
        }
        return result;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
