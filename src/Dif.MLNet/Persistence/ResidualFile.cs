using System.Runtime.InteropServices;

namespace Dif.Persistence;

/// <summary>Residuals (or any rows of equal length) kept in a temporary file instead of memory, for training
/// sets too large to hold: rows are appended once and read back on demand by index. The file is deleted when
/// this is disposed (or when the process ends). Not thread-safe.</summary>
public sealed class ResidualFile : IReadOnlyList<float[]>, IDisposable
{
    private readonly FileStream stream;

    /// <summary>Creates an empty file of rows of <paramref name="rowLength"/> floats in <paramref name="folder"/>
    /// (null: the system's temporary folder).</summary>
    public ResidualFile(int rowLength, string? folder = null)
    {
        if (rowLength < 1) throw new ArgumentOutOfRangeException(nameof(rowLength), "rows must hold at least one value.");
        RowLength = rowLength;
        folder ??= System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(folder, $"dif-residuals-{Guid.NewGuid():N}.tmp");
        try
        {
            stream = new FileStream(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DifOutputException(Path, $"cannot hold residuals on disk here ({e.Message}).", e);
        }
    }

    /// <summary>Values per row.</summary>
    public int RowLength { get; }

    /// <summary>Where the rows are.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public int Count { get; private set; }

    /// <summary>Appends one row (a full disk raises <see cref="DifOutputException"/>).</summary>
    public void Add(ReadOnlySpan<float> row)
    {
        if (row.Length != RowLength) throw new ArgumentException($"A row must hold {RowLength} values (got {row.Length}).", nameof(row));
        try
        {
            stream.Seek((long)Count * RowLength * sizeof(float), SeekOrigin.Begin);
            stream.Write(MemoryMarshal.AsBytes(row));
            stream.Flush();   // rows are read back through the handle, past the stream's buffer
        }
        catch (IOException e)
        {
            throw new DifOutputException(Path, $"cannot hold residuals on disk here ({e.Message}).", e);
        }
        Count++;
    }

    /// <summary>Reads row <paramref name="index"/> into <paramref name="destination"/> (RowLength values).</summary>
    public void Read(int index, Span<float> destination)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        if (destination.Length < RowLength) throw new ArgumentException($"The destination must hold {RowLength} values.", nameof(destination));
        var bytes = MemoryMarshal.AsBytes(destination[..RowLength]);
        long offset = (long)index * RowLength * sizeof(float);
        while (bytes.Length > 0)
        {
            int n = RandomAccess.Read(stream.SafeFileHandle, bytes, offset);
            if (n == 0) throw new IOException($"{Path}: row {index} ends early.");
            bytes = bytes[n..];
            offset += n;
        }
    }

    /// <summary>A copy of row <paramref name="index"/>.</summary>
    public float[] this[int index]
    {
        get
        {
            var row = new float[RowLength];
            Read(index, row);
            return row;
        }
    }

    /// <inheritdoc />
    public IEnumerator<float[]> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public void Dispose() => stream.Dispose();
}
