using System.Globalization;

namespace Dif.Lineage;

/// <summary>What cross-detection says of two models.</summary>
public enum Relation
{
    /// <summary>Each fingerprint detects the other model's images: shared lineage (one fine-tuned from the other, or both from one parent).</summary>
    Related,
    /// <summary>One fingerprint detects the other model's images, not the reverse: related in one direction (e.g. a child that kept the parent's traces and added its own).</summary>
    OneWay,
    /// <summary>Neither fingerprint detects the other model's images.</summary>
    Unrelated,
    /// <summary>The numbers fall between the thresholds.</summary>
    Inconclusive,
}

/// <summary>Thresholds of the lineage verdicts, on cross-detection balanced accuracy.</summary>
public sealed class LineageOptions
{
    /// <summary>At or above this, a fingerprint "detects" the other model (default 0.8).</summary>
    public double DetectsAt { get; set; } = 0.8;

    /// <summary>Below this, it does not (default 0.65; chance is 0.5). Between the two is inconclusive.</summary>
    public double MissesBelow { get; set; } = 0.65;

    /// <summary>Throws for thresholds out of order or outside [0.5, 1].</summary>
    public void Validate()
    {
        if (MissesBelow is < 0.5 or > 1 || DetectsAt is < 0.5 or > 1 || MissesBelow > DetectsAt)
            throw new ArgumentException($"Need 0.5 ≤ MissesBelow ≤ DetectsAt ≤ 1; got {MissesBelow} and {DetectsAt}.");
    }
}

/// <summary>The verdict on one pair of models, with the numbers behind it.</summary>
/// <param name="A">First model.</param>
/// <param name="B">Second model.</param>
/// <param name="AOnB">Balanced accuracy of A's fingerprint on B's test set.</param>
/// <param name="BOnA">Balanced accuracy of B's fingerprint on A's test set.</param>
/// <param name="FingerprintCorrelation">ρ(F_A, F_B), the secondary view.</param>
/// <param name="Relation">The verdict.</param>
/// <param name="Reason">The verdict in words, with both numbers and the thresholds.</param>
public sealed record PairLineage(string A, string B, double AOnB, double BOnA, double FingerprintCorrelation, Relation Relation, string Reason)
{
    /// <summary>Verdicts for every unordered pair of models that appear both as a fingerprint and as a test set.</summary>
    public static IReadOnlyList<PairLineage> All(CrossDetectionMatrix matrix, double[,]? fingerprintCorrelation = null, LineageOptions? options = null)
    {
        var o = options ?? new LineageOptions();
        o.Validate();
        var names = matrix.Fingerprints.Where(matrix.TestSets.Contains).ToList();
        var result = new List<PairLineage>();
        for (int x = 0; x < names.Count; x++)
            for (int y = x + 1; y < names.Count; y++)
            {
                string a = names[x], b = names[y];
                double ab = matrix[a, b], ba = matrix[b, a];
                double rho = fingerprintCorrelation is null ? double.NaN
                    : fingerprintCorrelation[IndexOf(matrix.Fingerprints, a), IndexOf(matrix.Fingerprints, b)];
                result.Add(Judge(a, b, ab, ba, rho, o));
            }
        return result;
    }

    /// <summary>The verdict for one pair from its two cross-detection accuracies.</summary>
    public static PairLineage Judge(string a, string b, double aOnB, double bOnA, double rho, LineageOptions options)
    {
        bool abHit = aOnB >= options.DetectsAt, baHit = bOnA >= options.DetectsAt;
        bool abMiss = aOnB < options.MissesBelow, baMiss = bOnA < options.MissesBelow;
        var (relation, why) = (abHit, baHit, abMiss, baMiss) switch
        {
            (true, true, _, _) => (Relation.Related, $"both ≥ {options.DetectsAt:F2}: each fingerprint detects the other model"),
            (true, false, _, true) => (Relation.OneWay, $"{a}'s fingerprint detects {b} (≥ {options.DetectsAt:F2}) but not the reverse (< {options.MissesBelow:F2})"),
            (false, true, true, _) => (Relation.OneWay, $"{b}'s fingerprint detects {a} (≥ {options.DetectsAt:F2}) but not the reverse (< {options.MissesBelow:F2})"),
            (_, _, true, true) => (Relation.Unrelated, $"both < {options.MissesBelow:F2}: neither fingerprint detects the other model"),
            _ => (Relation.Inconclusive, $"between the thresholds ({options.MissesBelow:F2}, {options.DetectsAt:F2})"),
        };
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"{a}→{b} {aOnB:F3}, {b}→{a} {bOnA:F3} (asymmetry {Math.Abs(aOnB - bOnA):F3}): {why}");
        return new PairLineage(a, b, aOnB, bOnA, rho, relation, reason);
    }

    private static int IndexOf(IReadOnlyList<string> names, string name) => names.Select((n, i) => (n, i)).First(p => p.n == name).i;
}
