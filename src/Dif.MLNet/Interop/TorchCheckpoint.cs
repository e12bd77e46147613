using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Dif.Interop;

/// <summary>A PyTorch checkpoint written by <c>torch.save</c> (PyTorch 1.6 and later: a zip archive
/// holding <c>NAME/data.pkl</c>, the object's pickle, and <c>NAME/data/KEY</c>, one raw little-endian
/// entry per storage), read without running any of it: the pickle goes through
/// <see cref="RestrictedUnpickler"/>, storages are read from their entries with their sizes checked
/// against the archive, and every tensor's shape, strides and offset are checked to lie inside its
/// storage. <see cref="Root"/> is the saved object as plain C# values.</summary>
public sealed class TorchCheckpoint
{
    /// <summary>Largest checkpoint file read (2 GiB).</summary>
    public const long MaxFileBytes = int.MaxValue;

    private TorchCheckpoint(string source, object? root, string archiveName, IReadOnlyList<TorchStorage> storages)
    {
        Source = source;
        Root = root;
        ArchiveName = archiveName;
        Storages = storages;
    }

    /// <summary>The file (or source name) it was read from.</summary>
    public string Source { get; }

    /// <summary>The saved object: a <see cref="PickleDict"/> (dict, OrderedDict), <c>List&lt;object?&gt;</c>,
    /// <see cref="PickleTuple"/>, <see cref="TorchTensor"/>, string, long, double, bool, byte[] or null.</summary>
    public object? Root { get; }

    /// <summary>The archive's top folder name (PyTorch uses the file's stem, or "archive").</summary>
    public string ArchiveName { get; }

    /// <summary>The storages the pickle referenced.</summary>
    public IReadOnlyList<TorchStorage> Storages { get; }

    /// <summary>Reads a checkpoint file. A file that is not a torch.save archive, is damaged, or asks for
    /// anything but tensors and plain containers raises a <see cref="DifModelFileException"/> naming it.</summary>
    public static TorchCheckpoint Load(string path)
    {
        if (Directory.Exists(path)) throw new DifModelFileException(path, "is a folder, not a checkpoint file.");
        if (!File.Exists(path)) throw new DifModelFileException(path, "file not found.");
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes) throw new DifModelFileException(path, $"is {length} bytes, larger than the {MaxFileBytes} Dif reads.");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return Load(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DifModelFileException(path, $"cannot be read ({e.Message}).", e);
        }
    }

    /// <summary>Reads a checkpoint from a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static TorchCheckpoint Load(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek) throw new ArgumentException("The stream must be seekable.", nameof(stream));
        var head = new byte[16];
        stream.Position = 0;
        int got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        if (got < 4 || head[0] != 'P' || head[1] != 'K')
            throw new DifModelFileException(source, NotAnArchive(head.AsSpan(0, got)));

        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw new DifModelFileException(source, $"is a damaged zip archive ({e.Message}).", e); }
        using (zip)
        {
            return Read(zip, source);
        }
    }

    private static string NotAnArchive(ReadOnlySpan<byte> head)
    {
        // PyTorch before 1.6 (and _use_new_zipfile_serialization=False) wrote a pickled magic number first:
        // PROTO 2, LONG1 10 bytes, 0x1950a86a20f9469cfc6c.
        ReadOnlySpan<byte> legacy = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
        if (head.StartsWith(legacy))
            return "is a checkpoint in PyTorch's legacy format (before 1.6); Dif reads the zip format. Re-save it with a current PyTorch: torch.save(torch.load(old), new).";
        if (head.Length > 0 && head[0] == 0x80)
            return "is a bare Python pickle, not a torch.save archive (Dif reads only the zip archives torch.save writes).";
        return "is not a PyTorch checkpoint (torch.save writes a zip archive; this file does not start with one).";
    }

    private static TorchCheckpoint Read(ZipArchive zip, string source)
    {
        List<ZipArchiveEntry> entries;
        try { entries = zip.Entries.ToList(); }
        catch (InvalidDataException e) { throw new DifModelFileException(source, $"is a damaged zip archive ({e.Message}).", e); }
        var pickles = entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal)))
            throw new DifModelFileException(source, "is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save the model's state_dict() with torch.save instead.");
        if (pickles.Count != 1)
            throw new DifModelFileException(source, pickles.Count == 0
                ? "is a zip archive without a NAME/data.pkl entry, so not a torch.save checkpoint."
                : "holds more than one data.pkl; a torch.save archive has exactly one.");
        var prefix = pickles[0].FullName[..^"data.pkl".Length];
        var byName = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
            if (!byName.TryAdd(e.FullName, e)) throw new DifModelFileException(source, $"holds the entry '{e.FullName}' twice.");

        if (byName.TryGetValue(prefix + "byteorder", out var order))
        {
            var text = Encoding.ASCII.GetString(ReadEntry(order, 16, source)).Trim();
            if (text != "little")
                throw new DifModelFileException(source, $"was saved with byte order '{text}'; Dif reads little-endian checkpoints only.");
        }

        var pickle = ReadEntry(pickles[0], RestrictedUnpickler.MaxPickleBytes, source);
        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        TorchStorage LoadStorage(RestrictedUnpickler.PersistentStorageId id)
        {
            if (storages.TryGetValue(id.Key, out var known))
            {
                if (known.DType != id.DType || known.Elements != id.Elements)
                    throw new DifModelFileException(source, $"storage '{id.Key}' is referenced as {known.DType}[{known.Elements}] and as {id.DType}[{id.Elements}].");
                return known;
            }
            if (id.Key.Length == 0 || id.Key.Length > 64 || !id.Key.All(char.IsAsciiLetterOrDigit))
                throw new DifModelFileException(source, $"names a storage '{id.Key}', which is not a storage key torch.save writes.");
            if (!byName.TryGetValue($"{prefix}data/{id.Key}", out var entry))
                throw new DifModelFileException(source, $"its pickle references storage '{id.Key}' but the archive has no entry {prefix}data/{id.Key} (truncated or damaged).");
            long expected;
            try { expected = checked(id.Elements * TorchStorage.SizeOf(id.DType)); }
            catch (OverflowException) { throw new DifModelFileException(source, $"storage '{id.Key}' claims {id.Elements} elements."); }
            if (entry.Length != expected)
                throw new DifModelFileException(source, $"storage '{id.Key}' should hold {id.Elements} {id.DType} values ({expected} bytes) but its entry holds {entry.Length} bytes (truncated, or a size that lies).");
            var bytes = ReadEntry(entry, int.MaxValue - 64, source);
            var storage = new TorchStorage(id.Key, id.DType, id.Elements, id.Location, bytes);
            storages[id.Key] = storage;
            return storage;
        }

        var root = RestrictedUnpickler.Load(pickle, source, LoadStorage);
        return new TorchCheckpoint(source, root, prefix.TrimEnd('/'), storages.Values.ToList());
    }

    /// <summary>Reads a whole entry, refusing one whose declared size exceeds <paramref name="limit"/> before
    /// allocating, and one whose content is shorter or longer than declared.</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, long limit, string source)
    {
        if (entry.Length > limit)
            throw new DifModelFileException(source, $"entry '{entry.FullName}' declares {entry.Length} bytes, more than the {limit} Dif reads.");
        // Read in chunks up to the declared size (+1 to notice excess): a header that lies about a huge size
        // cannot make Dif allocate more than the entry really holds.
        using var content = new MemoryStream((int)Math.Min(entry.Length, 1 << 20));
        try
        {
            using var s = entry.Open();
            var chunk = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = s.Read(chunk, 0, (int)Math.Min(chunk.Length, entry.Length - total + 1))) > 0)
            {
                total += n;
                if (total > entry.Length)
                    throw new DifModelFileException(source, $"entry '{entry.FullName}' holds more bytes than the {entry.Length} it declares.");
                content.Write(chunk, 0, n);
            }
            if (total != entry.Length)
                throw new DifModelFileException(source, $"entry '{entry.FullName}' holds {total} bytes but declares {entry.Length} (truncated).");
        }
        catch (InvalidDataException e) { throw new DifModelFileException(source, $"entry '{entry.FullName}' is damaged ({e.Message}).", e); }
        catch (IOException e) { throw new DifModelFileException(source, $"entry '{entry.FullName}' cannot be read ({e.Message}).", e); }
        return content.Length == content.Capacity ? content.GetBuffer() : content.ToArray();
    }

    /// <summary>Every tensor reachable from <see cref="Root"/> through dicts, lists and tuples, with a dotted
    /// path ("state_dict.dncnn.0.weight", "Fingerprint", "layers.2"). Each container is visited once.</summary>
    public IReadOnlyList<(string Path, TorchTensor Tensor)> Tensors()
    {
        var result = new List<(string, TorchTensor)>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        void Walk(object? value, string path, int depth)
        {
            if (depth > 32) return;
            switch (value)
            {
                case TorchTensor t: result.Add((path, t)); break;
                case PickleDict d when seen.Add(d):
                    foreach (var (k, v) in d.Items) Walk(v, Join(path, KeyText(k)), depth + 1);
                    break;
                case List<object?> l when seen.Add(l):
                    for (int i = 0; i < l.Count; i++) Walk(l[i], Join(path, i.ToString(CultureInfo.InvariantCulture)), depth + 1);
                    break;
                case PickleTuple t when seen.Add(t):
                    for (int i = 0; i < t.Count; i++) Walk(t[i], Join(path, i.ToString(CultureInfo.InvariantCulture)), depth + 1);
                    break;
            }
        }
        Walk(Root, "", 0);
        return result;
    }

    /// <summary>An indented outline of <see cref="Root"/> for people (keys, tensor types and shapes, list
    /// lengths), at most <paramref name="maxLines"/> lines.</summary>
    public string Describe(int maxLines = 200)
    {
        var lines = new List<string>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        void Line(string text) { if (lines.Count < maxLines) lines.Add(text); else if (lines.Count == maxLines) lines.Add("…"); }
        void Walk(object? value, string label, int depth)
        {
            var pad = new string(' ', 2 * depth);
            switch (value)
            {
                case PickleDict d when seen.Add(d) && depth < 8:
                    Line($"{pad}{label}{d}");
                    foreach (var (k, v) in d.Items) Walk(v, KeyText(k) + ": ", depth + 1);
                    break;
                case List<object?> l when l.All(x => x is double or long):
                    Line($"{pad}{label}list of {l.Count} numbers" + (l.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" (last {Convert.ToDouble(l[^1], CultureInfo.InvariantCulture):G6})") : ""));
                    break;
                case List<object?> l when seen.Add(l) && depth < 8:
                    Line($"{pad}{label}list[{l.Count}]");
                    for (int i = 0; i < Math.Min(l.Count, 20); i++) Walk(l[i], $"{i}: ", depth + 1);
                    break;
                case TorchTensor t:
                    Line($"{pad}{label}tensor {t.DType} [{string.Join(", ", t.Shape)}]{(t.RequiresGrad ? " (parameter)" : "")}");
                    break;
                case string s:
                    Line($"{pad}{label}'{(s.Length > 60 ? s[..60] + "…" : s)}'");
                    break;
                case null or long or double or bool:
                    Line($"{pad}{label}{Convert.ToString(value, CultureInfo.InvariantCulture) ?? "None"}");
                    break;
                default:
                    Line($"{pad}{label}{PickleText.TypeName(value)}");
                    break;
            }
        }
        Walk(Root, "", 0);
        return string.Join(Environment.NewLine, lines);
    }

    internal static string KeyText(object? key) => key switch
    {
        string s => s,
        null => "None",
        _ => Convert.ToString(key, CultureInfo.InvariantCulture) ?? PickleText.TypeName(key),
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
}
