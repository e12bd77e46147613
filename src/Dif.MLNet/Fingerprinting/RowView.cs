namespace Dif.Fingerprinting;

/// <summary>A read-only list whose items are looked up on demand, so that selecting or joining residual sets
/// never reads a disk-backed set (<see cref="Persistence.ResidualFile"/>) into memory.</summary>
internal sealed class RowView(int count, Func<int, float[]> row) : IReadOnlyList<float[]>
{
    /// <summary>The items of <paramref name="items"/> at <paramref name="indices"/>, in that order.</summary>
    public static RowView Pick(IReadOnlyList<float[]> items, int[] indices) => new(indices.Length, k => items[indices[k]]);

    /// <summary><paramref name="first"/> followed by <paramref name="second"/>.</summary>
    public static RowView Concat(IReadOnlyList<float[]> first, IReadOnlyList<float[]> second)
        => new(first.Count + second.Count, i => i < first.Count ? first[i] : second[i - first.Count]);

    public int Count { get; } = count;

    public float[] this[int index] => (uint)index < (uint)Count ? row(index) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<float[]> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return row(i);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
