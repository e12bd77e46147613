using Dif.Evaluation;
using Dif.Fingerprinting;

namespace Dif.Lineage;

/// <summary>A labelled test set of one generative model: residuals of real images and of the model's images.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Real">Residuals of real images.</param>
/// <param name="Fake">Residuals of the model's images.</param>
public sealed record ModelTestSet(string Name, IReadOnlyList<float[]> Real, IReadOnlyList<float[]> Fake);

/// <summary>The cross-detection matrix of docs/method.md §2.6: entry [i, j] is how well fingerprint i (fitted on
/// real images vs model i) tells real images from model j's. Rows are fingerprints, columns test sets.</summary>
/// <param name="Fingerprints">Row names.</param>
/// <param name="TestSets">Column names.</param>
/// <param name="BalancedAccuracy">[i, j]: balanced accuracy at the fingerprint's decision boundary.</param>
/// <param name="Auc">[i, j]: area under the ROC curve (threshold-free).</param>
public sealed record CrossDetectionMatrix(IReadOnlyList<string> Fingerprints, IReadOnlyList<string> TestSets, double[,] BalancedAccuracy, double[,] Auc)
{
    /// <summary>Balanced accuracy of the fingerprint named <paramref name="fingerprint"/> on test set <paramref name="testSet"/>.</summary>
    public double this[string fingerprint, string testSet] => BalancedAccuracy[IndexOf(Fingerprints, fingerprint), IndexOf(TestSets, testSet)];

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        throw new ArgumentException($"No model named '{name}' in the matrix.");
    }
}

/// <summary>Computes cross-detection matrices.</summary>
public static class CrossDetection
{
    /// <summary>Scores every test set with every fingerprint. Fingerprints are named by
    /// <see cref="Fingerprint.Name"/> (or their position when unnamed).</summary>
    public static CrossDetectionMatrix Compute(IReadOnlyList<Fingerprint> fingerprints, IReadOnlyList<ModelTestSet> testSets,
                                               CancellationToken cancellationToken = default)
    {
        if (fingerprints.Count == 0 || testSets.Count == 0) throw new ArgumentException("Cross-detection needs at least one fingerprint and one test set.");
        var accuracy = new double[fingerprints.Count, testSets.Count];
        var auc = new double[fingerprints.Count, testSets.Count];
        for (int i = 0; i < fingerprints.Count; i++)
        {
            // Real images are often shared between test sets: score each distinct list once.
            var realScores = new Dictionary<IReadOnlyList<float[]>, double[]>(ReferenceEqualityComparer.Instance);
            for (int j = 0; j < testSets.Count; j++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var set = testSets[j];
                if (!realScores.TryGetValue(set.Real, out var real))
                    realScores[set.Real] = real = set.Real.Select(fingerprints[i].Score).ToArray();
                var scores = real.Concat(set.Fake.Select(fingerprints[i].Score)).ToArray();
                var labels = set.Real.Select(_ => false).Concat(set.Fake.Select(_ => true)).ToArray();
                accuracy[i, j] = DetectionMetrics.Confusion(scores, labels).BalancedAccuracy;
                auc[i, j] = DetectionMetrics.Auc(scores, labels);
            }
        }
        return new CrossDetectionMatrix(fingerprints.Select((f, i) => f.Name ?? $"#{i + 1}").ToList(), testSets.Select(s => s.Name).ToList(), accuracy, auc);
    }

    /// <summary>ρ(F_i, F_j) for every pair: the secondary view (supplement §C.5 explains why it says less
    /// than cross-detection: fingerprints of related models can differ in pattern yet detect each other).</summary>
    public static double[,] FingerprintCorrelation(IReadOnlyList<Fingerprint> fingerprints)
    {
        var result = new double[fingerprints.Count, fingerprints.Count];
        for (int i = 0; i < fingerprints.Count; i++)
            for (int j = 0; j < fingerprints.Count; j++)
                result[i, j] = i == j ? 1 : fingerprints[i].Size != fingerprints[j].Size ? double.NaN
                    : Correlation.Pearson(fingerprints[i].Pattern, fingerprints[j].Pattern);
        return result;
    }
}
