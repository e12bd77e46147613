using System.Buffers.Binary;

namespace Dif.Interop;

/// <summary>A Python tuple read from a checkpoint (immutable).</summary>
public sealed class PickleTuple(object?[] items)
{
    /// <summary>The items, in order.</summary>
    public IReadOnlyList<object?> Items { get; } = items;

    /// <summary>Number of items.</summary>
    public int Count => Items.Count;

    /// <summary>The item at <paramref name="index"/>.</summary>
    public object? this[int index] => Items[index];

    /// <inheritdoc />
    public override string ToString() => $"tuple[{Count}]";
}

/// <summary>A Python dict (or collections.OrderedDict) read from a checkpoint, in insertion order.
/// Keys are strings, integers, floats, booleans, None or tuples of those.</summary>
public sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> items = [];
    private readonly Dictionary<string, int> stringKeys = new(StringComparer.Ordinal);

    /// <summary>Whether it was a collections.OrderedDict rather than a plain dict.</summary>
    public bool Ordered { get; init; }

    /// <summary>Attributes set on the object after construction (e.g. a state dict's <c>_metadata</c>); not interpreted.</summary>
    public PickleDict? Attributes { get; internal set; }

    /// <summary>The entries, in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Items => items;

    /// <summary>Number of entries.</summary>
    public int Count => items.Count;

    /// <summary>The string keys, in order.</summary>
    public IEnumerable<string> StringKeys => items.Select(i => i.Key).OfType<string>();

    /// <summary>The value under a string key, if present.</summary>
    public bool TryGetValue(string key, out object? value)
    {
        if (stringKeys.TryGetValue(key, out int i)) { value = items[i].Value; return true; }
        value = null;
        return false;
    }

    /// <summary>Sets a value as Python's <c>d[key] = value</c> does (a repeated key replaces the value in place).</summary>
    internal void Set(object? key, object? value)
    {
        if (key is string s)
        {
            if (stringKeys.TryGetValue(s, out int i)) { items[i] = new(key, value); return; }
            stringKeys[s] = items.Count;
        }
        else if (key is not (null or long or double or bool or PickleTuple or System.Numerics.BigInteger))
        {
            throw new InvalidDataException($"a dict key of type {PickleText.TypeName(key)} (only strings, numbers and tuples are accepted)");
        }
        items.Add(new(key, value));
    }

    /// <inheritdoc />
    public override string ToString() => $"{(Ordered ? "OrderedDict" : "dict")}[{Count}]";
}

/// <summary>Element types of torch storages Dif can read.</summary>
public enum TorchDType
{
    /// <summary>torch.float32 (FloatStorage).</summary>
    Float32,
    /// <summary>torch.float64 (DoubleStorage).</summary>
    Float64,
    /// <summary>torch.float16 (HalfStorage).</summary>
    Float16,
    /// <summary>torch.bfloat16 (BFloat16Storage).</summary>
    BFloat16,
    /// <summary>torch.int64 (LongStorage).</summary>
    Int64,
    /// <summary>torch.int32 (IntStorage).</summary>
    Int32,
    /// <summary>torch.int16 (ShortStorage).</summary>
    Int16,
    /// <summary>torch.int8 (CharStorage).</summary>
    Int8,
    /// <summary>torch.uint8 (ByteStorage).</summary>
    UInt8,
    /// <summary>torch.bool (BoolStorage).</summary>
    Bool,
}

/// <summary>One storage of a checkpoint: the raw little-endian bytes of its <c>data/KEY</c> entry.</summary>
public sealed class TorchStorage
{
    internal TorchStorage(string key, TorchDType dtype, long elements, string location, byte[] data)
    {
        Key = key;
        DType = dtype;
        Elements = elements;
        Location = location;
        Data = data;
    }

    /// <summary>The storage key (its entry is <c>data/KEY</c>).</summary>
    public string Key { get; }
    /// <summary>Element type.</summary>
    public TorchDType DType { get; }
    /// <summary>Number of elements.</summary>
    public long Elements { get; }
    /// <summary>Where it lived when saved ("cpu", "cuda:0"...); Dif reads every location the same way.</summary>
    public string Location { get; }
    internal byte[] Data { get; }

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int SizeOf(TorchDType dtype) => dtype switch
    {
        TorchDType.Float64 or TorchDType.Int64 => 8,
        TorchDType.Float32 or TorchDType.Int32 => 4,
        TorchDType.Float16 or TorchDType.BFloat16 or TorchDType.Int16 => 2,
        _ => 1,
    };

    internal double Read(long index)
    {
        var span = Data.AsSpan(checked((int)(index * SizeOf(DType))));
        return DType switch
        {
            TorchDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(span),
            TorchDType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(span),
            TorchDType.Float16 => (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(span)),
            TorchDType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span) << 16),
            TorchDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(span),
            TorchDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(span),
            TorchDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(span),
            TorchDType.Int8 => (sbyte)span[0],
            _ => span[0],
        };
    }

    internal long ReadInteger(long index)
    {
        var span = Data.AsSpan(checked((int)(index * SizeOf(DType))));
        return DType switch
        {
            TorchDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(span),
            TorchDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(span),
            TorchDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(span),
            TorchDType.Int8 => (sbyte)span[0],
            TorchDType.UInt8 or TorchDType.Bool => span[0],
            _ => throw new InvalidOperationException($"A {DType} storage holds no integers."),
        };
    }
}

/// <summary>A tensor of a checkpoint: a strided view of one storage, checked to lie inside it.</summary>
public sealed class TorchTensor
{
    internal TorchTensor(TorchStorage storage, long offset, long[] shape, long[] stride, bool requiresGrad)
    {
        Storage = storage;
        Offset = offset;
        Shape = shape;
        Stride = stride;
        RequiresGrad = requiresGrad;
    }

    /// <summary>The storage it views.</summary>
    public TorchStorage Storage { get; }
    /// <summary>Offset of the first element in the storage (elements).</summary>
    public long Offset { get; }
    /// <summary>Shape, outermost first.</summary>
    public long[] Shape { get; }
    /// <summary>Strides, in elements.</summary>
    public long[] Stride { get; }
    /// <summary>Whether it was a trainable parameter.</summary>
    public bool RequiresGrad { get; }
    /// <summary>Element type.</summary>
    public TorchDType DType => Storage.DType;
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Whether the element type is a floating-point one.</summary>
    public bool IsFloatingPoint => DType is TorchDType.Float32 or TorchDType.Float64 or TorchDType.Float16 or TorchDType.BFloat16;

    /// <summary>The values in row-major order, converted to float32.</summary>
    public float[] ToFloats()
    {
        var result = new float[checked((int)ElementCount)];
        if (result.Length == 0) return result;
        if (DType == TorchDType.Float32 && IsContiguous)
        {
            Buffer.BlockCopy(Storage.Data, checked((int)(Offset * 4)), result, 0, result.Length * 4);
            return result;
        }
        int i = 0;
        foreach (var index in Indices()) result[i++] = (float)Storage.Read(index);
        return result;
    }

    /// <summary>The values in row-major order as float64 (float64 tensors keep their full precision).</summary>
    public double[] ToDoubles()
    {
        var result = new double[checked((int)ElementCount)];
        int i = 0;
        foreach (var index in Indices()) result[i++] = Storage.Read(index);
        return result;
    }

    /// <summary>The values in row-major order as integers (integer and bool tensors only).</summary>
    public long[] ToInt64()
    {
        var result = new long[checked((int)ElementCount)];
        int i = 0;
        foreach (var index in Indices()) result[i++] = Storage.ReadInteger(index);
        return result;
    }

    /// <summary>Whether the view is dense and row-major.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int d = Shape.Length - 1; d >= 0; d--)
            {
                if (Shape[d] != 1 && Stride[d] != expected) return false;
                expected *= Shape[d];
            }
            return true;
        }
    }

    private IEnumerable<long> Indices()
    {
        if (ElementCount == 0) yield break;
        var position = new long[Shape.Length];
        while (true)
        {
            long index = Offset;
            for (int d = 0; d < Shape.Length; d++) index += position[d] * Stride[d];
            yield return index;
            int k = Shape.Length - 1;
            while (k >= 0 && ++position[k] == Shape[k]) { position[k] = 0; k--; }
            if (k < 0) yield break;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{DType}[{string.Join(",", Shape)}]";
}

/// <summary>A torch.device value (e.g. in a saved hyper-parameter dict); inert.</summary>
/// <param name="Name">"cpu", "cuda", "cuda:0"...</param>
public sealed record TorchDevice(string Name);

/// <summary>Text helpers for messages about pickled values.</summary>
internal static class PickleText
{
    public static string TypeName(object? value) => value switch
    {
        null => "None",
        string => "str",
        long or System.Numerics.BigInteger => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        PickleTuple => "tuple",
        List<object?> => "list",
        PickleDict d => d.Ordered ? "OrderedDict" : "dict",
        TorchTensor => "tensor",
        TorchStorage => "storage",
        _ => value.GetType().Name,
    };
}
