namespace Dif.Fingerprinting;

/// <summary>Pearson correlation of two equally long patterns, as docs/method.md §2.4 defines it: each is
/// standardised by its mean and standard deviation (+1e-8), and the mean of the product is taken.</summary>
public static class Correlation
{
    /// <summary>Added to each standard deviation, as in the method.</summary>
    public const double Epsilon = 1e-8;

    /// <summary>Index of the first NaN or infinity in <paramref name="values"/>, or −1. One such value makes every
    /// correlation with it NaN, so residuals are checked before they are scored or fitted on.</summary>
    internal static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>ρ(<paramref name="a"/>, <paramref name="b"/>).</summary>
    public static double Pearson(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0) throw new ArgumentException($"Patterns of {a.Length} and {b.Length} values cannot be correlated.");
        double ma = 0, mb = 0;
        for (int i = 0; i < a.Length; i++) { ma += a[i]; mb += b[i]; }
        ma /= a.Length;
        mb /= b.Length;
        double va = 0, vb = 0, cov = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            va += da * da;
            vb += db * db;
            cov += da * db;
        }
        double sa = Math.Sqrt(va / a.Length) + Epsilon, sb = Math.Sqrt(vb / b.Length) + Epsilon;
        return cov / a.Length / (sa * sb);
    }
}
