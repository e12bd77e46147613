using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Dif.Interop;

/// <summary>A pickle reader that runs no Python and builds only data: numbers, strings, bytes, tuples,
/// lists, dicts, OrderedDicts and the tensors of a <c>torch.save</c> checkpoint. It implements the
/// opcodes torch.save writes (protocol 2, plus the protocol 3–5 forms of the same things) and resolves
/// only the globals in <see cref="AllowedGlobals"/>, each to a fixed C# meaning; any other global or
/// opcode stops the read with a <see cref="DifModelFileException"/> naming the file and what it asked
/// for. Every length is checked against the bytes that remain before anything is allocated.</summary>
/// <remarks>Python's own unpickler calls whatever a file names (<c>os.system</c>, <c>builtins.eval</c>...);
/// this one cannot: a global is only a name until it matches the allow-list, and REDUCE is only
/// interpreted for allow-listed callables.</remarks>
public static class RestrictedUnpickler
{
    /// <summary>Largest pickle accepted (a state dict's pickle is a few kilobytes; the published
    /// fingerprint checkpoints' per-batch logs are well under a megabyte).</summary>
    public const int MaxPickleBytes = 64 << 20;

    /// <summary>Tensors of more dimensions are refused.</summary>
    public const int MaxDimensions = 8;

    private static readonly Dictionary<string, TorchDType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["torch.FloatStorage"] = TorchDType.Float32,
        ["torch.DoubleStorage"] = TorchDType.Float64,
        ["torch.HalfStorage"] = TorchDType.Float16,
        ["torch.BFloat16Storage"] = TorchDType.BFloat16,
        ["torch.LongStorage"] = TorchDType.Int64,
        ["torch.IntStorage"] = TorchDType.Int32,
        ["torch.ShortStorage"] = TorchDType.Int16,
        ["torch.CharStorage"] = TorchDType.Int8,
        ["torch.ByteStorage"] = TorchDType.UInt8,
        ["torch.BoolStorage"] = TorchDType.Bool,
    };

    private static readonly HashSet<string> Callables = new(StringComparer.Ordinal)
    {
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "collections.OrderedDict",
        "torch.device",
        "_codecs.encode",
        "numpy.dtype",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
    };

    /// <summary>Every Python global this reader accepts (module.name). Each has a fixed, data-only meaning:
    /// tensor and parameter rebuilds, storage types (only inside a storage reference), OrderedDict,
    /// torch.device, <c>_codecs.encode</c> (how protocol 2 writes bytes) and numpy scalars and dtypes.</summary>
    public static IReadOnlyCollection<string> AllowedGlobals { get; } = Callables.Concat(StorageTypes.Keys).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Reads one pickle. <paramref name="persistentLoad"/> resolves BINPERSID references (torch's
    /// storages); without one, a persistent reference is refused.</summary>
    /// <param name="pickle">The pickle bytes.</param>
    /// <param name="source">Names the file in errors.</param>
    /// <param name="persistentLoad">Called with the persistent id tuple and the storage type named in it.</param>
    public static object? Load(ReadOnlySpan<byte> pickle, string source, Func<PersistentStorageId, TorchStorage>? persistentLoad = null)
    {
        if (pickle.Length > MaxPickleBytes)
            throw new DifModelFileException(source, $"its pickle is {pickle.Length} bytes, more than the {MaxPickleBytes} Dif reads.");
        var machine = new Machine(pickle.ToArray(), source, persistentLoad);
        return machine.Run();
    }

    /// <summary>What a torch storage reference says: <c>('storage', StorageType, key, location, numel)</c>.</summary>
    /// <param name="DType">Element type, from the storage type global.</param>
    /// <param name="Key">Entry name under <c>data/</c>.</param>
    /// <param name="Location">Device it was saved from.</param>
    /// <param name="Elements">Number of elements.</param>
    public sealed record PersistentStorageId(TorchDType DType, string Key, string Location, long Elements);

    private sealed record PickleGlobal(string FullName);
    private sealed record StorageTypeRef(string FullName, TorchDType DType);
    private sealed class Mark { public static readonly Mark Instance = new(); }
    private sealed class NumpyDType(string descr) { public string Descr = descr; public char Order = '|'; }

    private sealed class Machine(byte[] data, string source, Func<PersistentStorageId, TorchStorage>? persistentLoad)
    {
        private readonly List<object?> stack = [];
        private readonly Dictionary<long, object?> memo = [];
        private int position;
        private int opcodeAt;

        private DifModelFileException Refuse(string why) => new(source, $"refused: {why}. Nothing in the file was run.");
        private DifModelFileException Damaged(string why) => new(source, $"its pickle is damaged or not a checkpoint Dif reads: {why} (at byte {opcodeAt}).");

        public object? Run()
        {
            try { return Execute(); }
            catch (InvalidDataException e) { throw Damaged(e.Message); }
            catch (OverflowException) { throw Damaged("a number is out of range"); }
        }

        private object? Execute()
        {
            while (true)
            {
                opcodeAt = position;
                byte op = Byte();
                switch (op)
                {
                    case 0x80: // PROTO
                        int proto = Byte();
                        if (proto is < 2 or > 5) throw Damaged($"pickle protocol {proto} (Dif reads 2 to 5)");
                        break;
                    case 0x95: // FRAME: a length hint only
                        Take(8);
                        break;
                    case (byte)'.': // STOP
                        if (stack.Count != 1) throw Damaged($"it stops with {stack.Count} values on the stack instead of one");
                        return Pop();
                    case (byte)'(': Push(Mark.Instance); break;
                    case (byte)')': Push(new PickleTuple([])); break;
                    case (byte)']': Push(new List<object?>()); break;
                    case (byte)'}': Push(new PickleDict()); break;
                    case (byte)'t': Push(new PickleTuple(PopToMark().ToArray())); break;
                    case 0x85: { var a = Pop(); Push(new PickleTuple([a])); break; }
                    case 0x86: { var b = Pop(); var a = Pop(); Push(new PickleTuple([a, b])); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PickleTuple([a, b, c])); break; }
                    case (byte)'X': Push(Utf8(Length32())); break;              // BINUNICODE
                    case 0x8c: Push(Utf8(Byte())); break;                                    // SHORT_BINUNICODE
                    case 0x8d: Push(Utf8(Length64())); break;                                // BINUNICODE8
                    case (byte)'U': Push(Latin1(Byte())); break;                             // SHORT_BINSTRING (Python 2 str)
                    case (byte)'T': Push(Latin1(NonNegative(Int32()))); break;               // BINSTRING
                    case (byte)'C': Push(Take(Byte()).ToArray()); break;                     // SHORT_BINBYTES
                    case (byte)'B': Push(Take(Length32()).ToArray()); break;     // BINBYTES
                    case 0x8e: Push(Take(Length64()).ToArray()); break;                      // BINBYTES8
                    case (byte)'J': Push((long)Int32()); break;                              // BININT
                    case (byte)'K': Push((long)Byte()); break;                               // BININT1
                    case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                    case 0x8a: Push(Long(Byte())); break;                                    // LONG1
                    case 0x8b: Push(Long(NonNegative(Int32()))); break;                      // LONG4
                    case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                    case 0x88: Push(true); break;
                    case 0x89: Push(false); break;
                    case (byte)'N': Push(null); break;
                    case (byte)'0': Pop(); break;                                            // POP
                    case (byte)'1': PopToMark(); break;                                      // POP_MARK
                    case (byte)'s': { var v = Pop(); var k = Pop(); Dict(Top()).Set(k, v); break; } // SETITEM
                    case (byte)'u': // SETITEMS
                    {
                        var items = PopToMark();
                        if (items.Count % 2 != 0) throw Damaged("SETITEMS with an odd number of values");
                        var d = Dict(Top());
                        for (int i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1]);
                        break;
                    }
                    case (byte)'a': { var v = Pop(); List(Top()).Add(v); break; }          // APPEND
                    case (byte)'e': { var items = PopToMark(); List(Top()).AddRange(items); break; } // APPENDS
                    case (byte)'q': memo[Byte()] = Top(); break;                             // BINPUT
                    case (byte)'r': memo[UInt32()] = Top(); break;                           // LONG_BINPUT
                    case 0x94: memo[memo.Count] = Top(); break;                              // MEMOIZE
                    case (byte)'h': Push(Memo(Byte())); break;                               // BINGET
                    case (byte)'j': Push(Memo(UInt32())); break;                             // LONG_BINGET
                    case (byte)'c': // GLOBAL
                    {
                        var module = Line();
                        var name = Line();
                        Push(Global(module, name));
                        break;
                    }
                    case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop() as string ?? throw Damaged("STACK_GLOBAL without a name string");
                        var module = Pop() as string ?? throw Damaged("STACK_GLOBAL without a module string");
                        Push(Global(module, name));
                        break;
                    }
                    case (byte)'R': // REDUCE
                    {
                        var args = Pop() as PickleTuple ?? throw Damaged("REDUCE without an argument tuple");
                        var callable = Pop();
                        Push(Reduce(callable, args));
                        break;
                    }
                    case (byte)'b': // BUILD
                    {
                        var state = Pop();
                        Build(Top(), state);
                        break;
                    }
                    case (byte)'Q': // BINPERSID
                        Push(Persistent(Pop()));
                        break;
                    default:
                        throw Refuse($"pickle opcode {Describe(op)} at byte {opcodeAt} is not one Dif accepts (it reads tensors and plain containers only)");
                }
            }
        }

        private static string Describe(byte op) => op is >= 0x21 and < 0x7f
            ? string.Create(CultureInfo.InvariantCulture, $"'{(char)op}' (0x{op:x2})")
            : string.Create(CultureInfo.InvariantCulture, $"0x{op:x2}");

        private object Global(string module, string name)
        {
            var full = module + "." + name;
            if (StorageTypes.TryGetValue(full, out var dtype)) return new StorageTypeRef(full, dtype);
            if (Callables.Contains(full)) return new PickleGlobal(full);
            throw Refuse($"the pickle asks for the Python global '{full}', which is not one of the tensor rebuilds and plain containers Dif accepts" +
                         " (a checkpoint of pickled Python objects, such as a whole model or trainer, cannot be read safely: save its state_dict() instead)");
        }

        private object? Reduce(object? callable, PickleTuple args)
        {
            switch (callable)
            {
                case PickleGlobal { FullName: "torch._utils._rebuild_tensor_v2" }:
                    return RebuildTensor(args);
                case PickleGlobal { FullName: "torch._utils._rebuild_parameter" or "torch._utils._rebuild_parameter_with_state" } g:
                {
                    if (args.Count is < 3 or > 4 || args[0] is not TorchTensor t || args[1] is not bool grad)
                        throw Damaged($"{g.FullName} with unexpected arguments");
                    EnsureNoHooks(args[2], g.FullName);
                    if (args.Count == 4 && args[3] is PickleDict { Count: > 0 })
                        throw Refuse($"{g.FullName} carries Python attributes on a parameter, which Dif does not read");
                    return new TorchTensor(t.Storage, t.Offset, t.Shape, t.Stride, grad);
                }
                case PickleGlobal { FullName: "collections.OrderedDict" }:
                {
                    var d = new PickleDict { Ordered = true };
                    if (args.Count == 0) return d;
                    if (args.Count == 1 && args[0] is List<object?> pairs)
                    {
                        foreach (var p in pairs)
                        {
                            if (p is not PickleTuple { Count: 2 } kv) throw Damaged("OrderedDict built from something other than pairs");
                            d.Set(kv[0], kv[1]);
                        }
                        return d;
                    }
                    throw Damaged("OrderedDict with unexpected arguments");
                }
                case PickleGlobal { FullName: "torch.device" }:
                    if (args.Count is 1 or 2 && args[0] is string kind && (args.Count == 1 || args[1] is long))
                        return new TorchDevice(args.Count == 1 ? kind : $"{kind}:{args[1]}");
                    throw Damaged("torch.device with unexpected arguments");
                case PickleGlobal { FullName: "_codecs.encode" }:
                    if (args.Count == 2 && args[0] is string text && args[1] is "latin1" or "latin-1")
                        return Encoding.Latin1.GetBytes(text);
                    throw Refuse("_codecs.encode is accepted only for latin-1 bytes");
                case PickleGlobal { FullName: "numpy.dtype" }:
                    if (args.Count >= 1 && args[0] is string descr && descr is "f8" or "f4" or "i8" or "i4")
                        return new NumpyDType(descr);
                    throw Refuse($"numpy dtype {(args.Count > 0 ? args[0] : null)} (Dif reads f4, f8, i4 and i8 scalars only)");
                case PickleGlobal { FullName: "numpy.core.multiarray.scalar" or "numpy._core.multiarray.scalar" }:
                    return NumpyScalar(args);
                case StorageTypeRef s:
                    throw Refuse($"{s.FullName} is accepted only inside a storage reference, not called");
                default:
                    throw Damaged($"REDUCE on a {PickleText.TypeName(callable)}, which cannot be called");
            }
        }

        private object NumpyScalar(PickleTuple args)
        {
            if (args.Count != 2 || args[0] is not NumpyDType dt || args[1] is not byte[] bytes)
                throw Damaged("numpy scalar with unexpected arguments");
            if (dt.Order == '>') throw Refuse("big-endian numpy scalars are not supported");
            int size = dt.Descr[1] - '0';
            if (bytes.Length != size) throw Damaged($"numpy scalar of {bytes.Length} bytes for dtype {dt.Descr}");
            return dt.Descr switch
            {
                "f8" => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
                "f4" => (double)BinaryPrimitives.ReadSingleLittleEndian(bytes),
                "i8" => BinaryPrimitives.ReadInt64LittleEndian(bytes),
                _ => (object)(long)BinaryPrimitives.ReadInt32LittleEndian(bytes),
            };
        }

        private void Build(object? target, object? state)
        {
            switch (target)
            {
                case PickleDict d when state is PickleDict attributes:
                    // An OrderedDict's instance attributes (a state dict's _metadata): kept, not interpreted.
                    d.Attributes = attributes;
                    return;
                case PickleDict when state is null:
                    return;
                case NumpyDType dt when state is PickleTuple { Count: >= 2 } t && t[1] is string order && order.Length == 1:
                    dt.Order = order[0];
                    return;
                default:
                    throw Refuse($"BUILD (setting the state of an object) on a {PickleText.TypeName(target)} is not accepted");
            }
        }

        private TorchStorage Persistent(object? pid)
        {
            if (pid is not PickleTuple t || t.Count != 5 || t[0] is not string tag || tag != "storage")
                throw Refuse($"a persistent reference of the form {Summarise(pid)} (torch.save writes ('storage', type, key, location, numel))");
            if (t[1] is not StorageTypeRef type) throw Refuse($"a storage of type {Summarise(t[1])}");
            if (t[2] is not string key || t[3] is not string location || t[4] is not long elements || elements < 0)
                throw Damaged("a storage reference with a bad key, location or size");
            if (persistentLoad is null) throw Refuse("a storage reference outside a checkpoint archive");
            return persistentLoad(new PersistentStorageId(type.DType, key, location, elements));
        }

        private TorchTensor RebuildTensor(PickleTuple args)
        {
            if (args.Count is < 6 or > 7) throw Damaged($"_rebuild_tensor_v2 with {args.Count} arguments");
            if (args[0] is not TorchStorage storage) throw Damaged("_rebuild_tensor_v2 without a storage");
            if (args[1] is not long offset || offset < 0) throw Damaged("_rebuild_tensor_v2 with a bad storage offset");
            var shape = Longs(args[2], "size");
            var stride = Longs(args[3], "stride");
            if (shape.Length != stride.Length) throw Damaged($"a tensor with {shape.Length} sizes but {stride.Length} strides");
            if (args[4] is not bool requiresGrad) throw Damaged("_rebuild_tensor_v2 with a bad requires_grad");
            EnsureNoHooks(args[5], "_rebuild_tensor_v2");
            if (args.Count == 7 && args[6] is not (null or PickleDict { Count: 0 }))
                throw Refuse("a tensor with extra metadata (e.g. conjugate or negative bits), which Dif does not interpret");
            long elements = 1, last = offset;
            for (int d = 0; d < shape.Length; d++)
            {
                elements = checked(elements * shape[d]);
                if (shape[d] > 0) last = checked(last + (shape[d] - 1) * stride[d]);
            }
            if (elements > int.MaxValue) throw Refuse($"a tensor of {elements} elements, more than Dif reads");
            if (elements > 0 && last >= storage.Elements)
                throw Damaged($"a tensor [{string.Join(",", shape)}] with strides [{string.Join(",", stride)}] at offset {offset} reaches element {last} of a storage of {storage.Elements}");
            return new TorchTensor(storage, offset, shape, stride, requiresGrad);
        }

        private long[] Longs(object? value, string what)
        {
            if (value is not PickleTuple t) throw Damaged($"a tensor {what} that is not a tuple");
            if (t.Count > MaxDimensions) throw Refuse($"a tensor of {t.Count} dimensions (Dif reads up to {MaxDimensions})");
            var result = new long[t.Count];
            for (int i = 0; i < t.Count; i++)
                result[i] = t[i] is long v && v >= 0 ? v : throw Damaged($"a tensor {what} holding {Summarise(t[i])}");
            return result;
        }

        private void EnsureNoHooks(object? hooks, string where)
        {
            if (hooks is null || hooks is PickleDict { Count: 0 }) return;
            throw Refuse($"{where} with backward hooks (Python callbacks), which Dif does not run");
        }

        private static string Summarise(object? value) => value switch
        {
            null => "None",
            string s => $"'{(s.Length > 40 ? s[..40] + "…" : s)}'",
            long or double or bool => Convert.ToString(value, CultureInfo.InvariantCulture)!,
            PickleGlobal g => g.FullName,
            StorageTypeRef s => s.FullName,
            PickleTuple t => "(" + string.Join(", ", t.Items.Take(5).Select(Summarise)) + (t.Count > 5 ? ", …" : "") + ")",
            _ => PickleText.TypeName(value),
        };

        private object? Memo(long index) => memo.TryGetValue(index, out var v) ? v : throw Damaged($"memo slot {index} is read before it is written");

        private PickleDict Dict(object? value) => value as PickleDict ?? throw Damaged($"SETITEM on a {PickleText.TypeName(value)}");

        private List<object?> List(object? value) => value as List<object?> ?? throw Damaged($"APPEND on a {PickleText.TypeName(value)}");

        private void Push(object? value) => stack.Add(value);

        private object? Pop()
        {
            if (stack.Count == 0) throw Damaged("the stack is empty");
            var v = stack[^1];
            if (v is Mark) throw Damaged("a value was expected but a MARK was found");
            stack.RemoveAt(stack.Count - 1);
            return v;
        }

        private object? Top()
        {
            if (stack.Count == 0 || stack[^1] is Mark) throw Damaged("the stack is empty");
            return stack[^1];
        }

        private List<object?> PopToMark()
        {
            int mark = stack.FindLastIndex(v => v is Mark);
            if (mark < 0) throw Damaged("no MARK on the stack");
            var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
            stack.RemoveRange(mark, stack.Count - mark);
            return items;
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > data.Length - position)
                throw Damaged($"it asks for {count} bytes but only {data.Length - position} remain (truncated, or a length that lies)");
            var span = data.AsSpan(position, count);
            position += count;
            return span;
        }

        private byte Byte() => Take(1)[0];
        private int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        private uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        private int Length64()
        {
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
            return n <= (ulong)(data.Length - position) ? (int)n : throw Damaged($"a length of {n} bytes, more than remain");
        }

        private int Length32()
        {
            uint n = UInt32();
            return n <= (uint)(data.Length - position) ? (int)n : throw Damaged($"it asks for {n} bytes but only {data.Length - position} remain (truncated, or a length that lies)");
        }

        private int NonNegative(int n) => n >= 0 ? n : throw Damaged("a negative length");

        private string Utf8(int length)
        {
            try { return new UTF8Encoding(false, true).GetString(Take(length)); }
            catch (DecoderFallbackException) { throw Damaged("a string that is not UTF-8"); }
        }

        private string Latin1(int length) => Encoding.Latin1.GetString(Take(length));

        private object Long(int length)
        {
            if (length > 64) throw Refuse($"an integer of {length} bytes");
            var bytes = Take(length);
            var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
            return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
        }

        private string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', position, Math.Min(256, data.Length - position));
            if (end < 0) throw Damaged("a GLOBAL name that does not end within 256 bytes");
            var text = Encoding.ASCII.GetString(data, position, end - position);
            position = end + 1;
            return text;
        }
    }
}
