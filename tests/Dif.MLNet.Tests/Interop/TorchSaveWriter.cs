using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Dif.Tests.Interop;

/// <summary>Test values for <see cref="TorchSaveWriter"/>: what torch.save would pickle.</summary>
internal abstract record PyValue;
/// <summary>A dict (or collections.OrderedDict) with string keys, in order.</summary>
internal sealed record PyDict(bool Ordered, params (string Key, object? Value)[] Items) : PyValue;
/// <summary>A tuple.</summary>
internal sealed record PyTuple(params object?[] Items) : PyValue;
/// <summary>A tensor: a view (offset, shape, stride) of a float32 or int64 storage saved under <paramref name="Key"/>.</summary>
internal sealed record PyTensor(string Key, Array Storage, long Offset, long[] Shape, long[]? Stride = null, bool RequiresGrad = false, PyDict? Hooks = null) : PyValue
{
    public static PyTensor Of(string key, float[] values, params long[] shape) => new(key, values, 0, shape);
    public long[] Strides => Stride ?? Contiguous(Shape);
    public static long[] Contiguous(long[] shape)
    {
        var s = new long[shape.Length];
        long step = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { s[d] = step; step *= shape[d]; }
        return s;
    }
}
/// <summary>A call of a Python global, as a hostile pickle would ask for it: GLOBAL module name, args, REDUCE.</summary>
internal sealed record PyCall(string Module, string Name, bool StackGlobal, params object?[] Args) : PyValue;
/// <summary>Raw opcodes spliced into the pickle where this value goes.</summary>
internal sealed record PyRaw(byte[] Opcodes) : PyValue;

/// <summary>Writes checkpoints in torch.save's zip format, as PyTorch 1.6+ does: a zip (stored, not
/// compressed) with NAME/data.pkl (a protocol-2 pickle whose tensors are
/// <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())</c>
/// and whose storages are persistent ids <c>('storage', torch.FloatStorage, key, 'cpu', numel)</c>),
/// NAME/data/KEY (raw little-endian storage bytes), NAME/version and NAME/byteorder.</summary>
internal static class TorchSaveWriter
{
    public static byte[] Save(object? root, string archiveName = "archive", Action<Dictionary<string, byte[]>>? tamper = null)
    {
        var storages = new Dictionary<string, Array>(StringComparer.Ordinal);
        var pickle = Pickle(root, storages);
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [$"{archiveName}/data.pkl"] = pickle,
            [$"{archiveName}/byteorder"] = Encoding.ASCII.GetBytes("little"),
        };
        foreach (var (key, storage) in storages) entries[$"{archiveName}/data/{key}"] = Bytes(storage);
        entries[$"{archiveName}/version"] = Encoding.ASCII.GetBytes("3\n");
        tamper?.Invoke(entries);
        return Zip(entries);
    }

    public static string SaveFile(string path, object? root, Action<Dictionary<string, byte[]>>? tamper = null)
    {
        File.WriteAllBytes(path, Save(root, Path.GetFileNameWithoutExtension(path), tamper));
        return path;
    }

    public static byte[] Zip(Dictionary<string, byte[]> entries)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
                using var s = entry.Open();
                s.Write(bytes);
            }
        }
        return ms.ToArray();
    }

    private static byte[] Bytes(Array storage) => storage switch
    {
        float[] f => MemoryMarshalBytes(f),
        long[] l => MemoryMarshalBytes(l),
        double[] d => MemoryMarshalBytes(d),
        _ => throw new ArgumentException("storages are float[], double[] or long[]"),
    };

    private static byte[] MemoryMarshalBytes<T>(T[] values) where T : unmanaged
        => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>The protocol-2 pickle of <paramref name="root"/>, recording the storages it references.</summary>
    public static byte[] Pickle(object? root, Dictionary<string, Array>? storages = null)
    {
        var w = new Writer(storages ?? new Dictionary<string, Array>(StringComparer.Ordinal));
        w.Op(0x80); w.Op(2);
        w.Value(root);
        w.Op((byte)'.');
        return w.Bytes();
    }

    private sealed class Writer(Dictionary<string, Array> storages)
    {
        private readonly MemoryStream s = new();
        private readonly Dictionary<string, int> globals = new(StringComparer.Ordinal);
        private int memo;

        public byte[] Bytes() => s.ToArray();
        public void Op(byte b) => s.WriteByte(b);

        private void Put()
        {
            if (memo < 256) { Op((byte)'q'); Op((byte)memo); }
            else { Op((byte)'r'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, memo); s.Write(b); }
            memo++;
        }

        private void Global(string module, string name)
        {
            var key = module + " " + name;
            if (globals.TryGetValue(key, out int slot)) { Op((byte)'h'); Op((byte)slot); return; }
            Op((byte)'c');
            s.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
            globals[key] = memo;
            Put();
        }

        private void String(string text)
        {
            var b = Encoding.UTF8.GetBytes(text);
            Op((byte)'X');
            Span<byte> len = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(len, b.Length);
            s.Write(len);
            s.Write(b);
            Put();
        }

        private void Int(long v)
        {
            if (v is >= 0 and < 256) { Op((byte)'K'); Op((byte)v); }
            else if (v is >= 0 and < 65536) { Op((byte)'M'); Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); s.Write(b); }
            else if (v is >= int.MinValue and <= int.MaxValue) { Op((byte)'J'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); s.Write(b); }
            else { Op(0x8a); Op(8); Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); s.Write(b); }
        }

        private void Tuple(IReadOnlyList<object?> items)
        {
            if (items.Count == 0) { Op((byte)')'); return; }
            if (items.Count <= 3)
            {
                foreach (var i in items) Value(i);
                Op((byte)(0x84 + items.Count));
            }
            else
            {
                Op((byte)'(');
                foreach (var i in items) Value(i);
                Op((byte)'t');
            }
            Put();
        }

        public void Value(object? v)
        {
            switch (v)
            {
                case null: Op((byte)'N'); break;
                case bool b: Op(b ? (byte)0x88 : (byte)0x89); break;
                case int i: Int(i); break;
                case long l: Int(l); break;
                case double d:
                {
                    Op((byte)'G');
                    Span<byte> b = stackalloc byte[8];
                    BinaryPrimitives.WriteDoubleBigEndian(b, d);
                    s.Write(b);
                    break;
                }
                case string text: String(text); break;
                case PyTuple t: Tuple(t.Items); break;
                case IEnumerable<double> list:
                    Op((byte)']'); Put();
                    Op((byte)'(');
                    foreach (var x in list) Value(x);
                    Op((byte)'e');
                    break;
                case PyDict d:
                    if (d.Ordered) { Global("collections", "OrderedDict"); Op((byte)')'); Op((byte)'R'); }
                    else Op((byte)'}');
                    Put();
                    if (d.Items.Length > 0)
                    {
                        Op((byte)'(');
                        foreach (var (k, x) in d.Items) { String(k); Value(x); }
                        Op((byte)'u');
                    }
                    break;
                case PyTensor t:
                {
                    Global("torch._utils", "_rebuild_tensor_v2");
                    Op((byte)'(');
                    var storageType = t.Storage switch { float[] => "FloatStorage", long[] => "LongStorage", double[] => "DoubleStorage", _ => throw new ArgumentException() };
                    // The persistent id ('storage', torch.XStorage, key, 'cpu', numel).
                    Op((byte)'(');
                    String("storage");
                    Global("torch", storageType);
                    String(t.Key);
                    String("cpu");
                    Int(t.Storage.Length);
                    Op((byte)'t'); Put();
                    Op((byte)'Q');
                    storages[t.Key] = t.Storage;
                    Int(t.Offset);
                    Tuple(t.Shape.Cast<object?>().ToArray());
                    Tuple(t.Strides.Cast<object?>().ToArray());
                    Op(t.RequiresGrad ? (byte)0x88 : (byte)0x89);
                    if (t.Hooks is null) { Global("collections", "OrderedDict"); Op((byte)')'); Op((byte)'R'); Put(); }
                    else Value(t.Hooks);
                    Op((byte)'t'); Put();
                    Op((byte)'R'); Put();
                    break;
                }
                case PyCall c:
                    if (c.StackGlobal) { String(c.Module); String(c.Name); Op(0x93); }
                    else Global(c.Module, c.Name);
                    Tuple(c.Args);
                    Op((byte)'R');
                    break;
                case PyRaw raw: s.Write(raw.Opcodes); break;
                default: throw new ArgumentException($"cannot pickle {v.GetType().Name}");
            }
        }
    }

    /// <summary>A .npy file (version 1.0, little-endian float32, C order).</summary>
    public static byte[] Npy(float[] values, params long[] shape)
    {
        var dims = string.Join(", ", shape) + (shape.Length == 1 ? "," : "");
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        using var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        ms.Write(len);
        ms.Write(Encoding.ASCII.GetBytes(header));
        ms.Write(MemoryMarshalBytes(values));
        return ms.ToArray();
    }
}
