using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Dif.Persistence;

/// <summary>Element types a safetensors entry may hold (the subset Dif reads and writes).</summary>
public enum SafeTensorDType
{
    /// <summary>32-bit float.</summary>
    F32,
    /// <summary>16-bit IEEE float.</summary>
    F16,
    /// <summary>64-bit signed integer.</summary>
    I64,
}

/// <summary>One named tensor: its type, shape and little-endian bytes.</summary>
public sealed class SafeTensor
{
    /// <summary>Creates a tensor entry; the byte count must match type and shape.</summary>
    public SafeTensor(SafeTensorDType dtype, long[] shape, byte[] data)
    {
        DType = dtype;
        Shape = shape;
        Data = data;
        if (data.LongLength != ElementCount * SafeTensors.SizeOf(dtype))
            throw new ArgumentException($"{data.Length} bytes do not fit {dtype}[{string.Join(",", shape)}].");
    }

    /// <summary>Element type.</summary>
    public SafeTensorDType DType { get; }
    /// <summary>Shape, outermost first.</summary>
    public long[] Shape { get; }
    /// <summary>Raw little-endian bytes.</summary>
    public byte[] Data { get; }
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>A float32 entry from values.</summary>
    public static SafeTensor FromFloats(float[] values, params long[] shape)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        return new SafeTensor(SafeTensorDType.F32, shape, bytes);
    }

    /// <summary>An int64 entry from values.</summary>
    public static SafeTensor FromInt64(long[] values, params long[] shape)
    {
        var bytes = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new SafeTensor(SafeTensorDType.I64, shape, bytes);
    }

    /// <summary>The values as float32 (F16 is widened, I64 converted).</summary>
    public float[] ToFloats()
    {
        var n = checked((int)ElementCount);
        var result = new float[n];
        switch (DType)
        {
            case SafeTensorDType.F32:
                Buffer.BlockCopy(Data, 0, result, 0, n * 4);
                break;
            case SafeTensorDType.F16:
                for (int i = 0; i < n; i++) result[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(Data.AsSpan(i * 2)));
                break;
            case SafeTensorDType.I64:
                for (int i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(Data.AsSpan(i * 8));
                break;
        }
        return result;
    }

    /// <summary>The values as int64 (only for I64 entries).</summary>
    public long[] ToInt64()
    {
        if (DType != SafeTensorDType.I64) throw new InvalidOperationException($"Entry is {DType}, not I64.");
        var result = new long[ElementCount];
        Buffer.BlockCopy(Data, 0, result, 0, Data.Length);
        return result;
    }
}

/// <summary>Reads and writes the safetensors format (an 8-byte header length, a JSON header, raw
/// tensor bytes). Nothing in the file is executed; every length and offset is checked before use.</summary>
public static class SafeTensors
{
    /// <summary>Largest JSON header accepted; real headers for Dif files are a few kilobytes.</summary>
    public const long MaxHeaderBytes = 16L << 20;

    /// <summary>Largest file accepted (2 GiB): more than any Dif model needs.</summary>
    public const long MaxFileBytes = int.MaxValue;

    internal static int SizeOf(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F32 => 4,
        SafeTensorDType.F16 => 2,
        SafeTensorDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
        => AtomicFile.Write(path, s => Write(s, tensors, metadata));

    /// <summary>Writes the file to a stream.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(k, v);
            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, t) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", t.DType.ToString());
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.LongLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.LongLength;
            }
            json.WriteEndObject();
        }
        // The format pads the header with spaces to a multiple of 8 bytes.
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        stream.Write(len);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var (_, t) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal)) stream.Write(t.Data);
    }

    /// <summary>Reads a safetensors file. Throws <see cref="DifModelFileException"/> naming the file
    /// when it is missing, truncated, not safetensors, or internally inconsistent.</summary>
    public static (Dictionary<string, SafeTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (Directory.Exists(path)) throw new DifModelFileException(path, "is a folder, not a model file.");
        if (!File.Exists(path)) throw new DifModelFileException(path, "file not found.");
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes) throw new DifModelFileException(path, $"is {length} bytes, larger than any Dif model file ({MaxFileBytes} bytes).");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DifModelFileException(path, $"cannot be read ({e.Message}).", e);
        }
        return Read(bytes, path);
    }

    /// <summary>Reads a safetensors file held in memory; <paramref name="sourceName"/> names it in errors.</summary>
    public static (Dictionary<string, SafeTensor> Tensors, Dictionary<string, string> Metadata) Read(ReadOnlySpan<byte> bytes, string? sourceName)
    {
        DifModelFileException Bad(string why) => new(sourceName, $"not a valid safetensors file: {why}.");

        if (bytes.Length < 8) throw Bad($"only {bytes.Length} bytes, too short for a header");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(bytes.Length - 8))
            throw Bad($"header claims {headerLength} bytes but the file holds {bytes.Length - 8} after the length field (truncated or not safetensors)");
        var dataStart = 8 + (int)headerLength;
        var dataLength = bytes.Length - dataStart;

        // Invalid UTF-8 would only surface later, as an InvalidOperationException when a name is read.
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Slice(8, (int)headerLength))) throw Bad("header is not UTF-8 text");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes.Slice(8, (int)headerLength).ToArray(), new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw Bad($"header is not JSON ({e.Message})"); }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("header is not a JSON object");
            var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad($"metadata '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                var t = prop.Value;
                if (t.ValueKind != JsonValueKind.Object) throw Bad($"entry '{prop.Name}' is not an object");
                if (!t.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
                    throw Bad($"tensor '{prop.Name}' has no dtype");
                var dtypeName = dtypeEl.GetString();
                if (!Enum.TryParse<SafeTensorDType>(dtypeName, ignoreCase: false, out var dtype) || !Enum.IsDefined(dtype))
                    throw Bad($"tensor '{prop.Name}' has unsupported dtype '{dtypeName}' (Dif reads F32, F16, I64)");
                if (!t.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
                    throw Bad($"tensor '{prop.Name}' has no shape");
                var shape = new List<long>();
                long count = 1;
                foreach (var d in shapeEl.EnumerateArray())
                {
                    if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                        throw Bad($"tensor '{prop.Name}' has a bad shape");
                    shape.Add(dim);
                    count = dim == 0 ? 0 : (count > long.MaxValue / dim ? throw Bad($"tensor '{prop.Name}' shape overflows") : count * dim);
                }
                if (!t.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
                    throw Bad($"tensor '{prop.Name}' has no data_offsets pair");
                if (!offEl[0].TryGetInt64(out var begin) || !offEl[1].TryGetInt64(out var end) || begin < 0 || end < begin || end > dataLength)
                    throw Bad($"tensor '{prop.Name}' offsets [{offEl[0]}, {offEl[1]}] fall outside the {dataLength} data bytes");
                if (count > (long)int.MaxValue / SizeOf(dtype) || end - begin != count * SizeOf(dtype))
                    throw Bad($"tensor '{prop.Name}' holds {end - begin} bytes but {dtype}[{string.Join(",", shape)}] needs {count * SizeOf(dtype)}");
                ranges.Add((begin, end, prop.Name));
                tensors[prop.Name] = new SafeTensor(dtype, shape.ToArray(), bytes.Slice(dataStart + (int)begin, (int)(end - begin)).ToArray());
            }
            ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            for (int i = 1; i < ranges.Count; i++)
                if (ranges[i].Begin < ranges[i - 1].End)
                    throw Bad($"tensors '{ranges[i - 1].Name}' and '{ranges[i].Name}' overlap");
            return (tensors, metadata);
        }
    }
}
