namespace Dif.Evaluation;

/// <summary>A 2×2 confusion table (positive = generated).</summary>
/// <param name="TruePositives">Generated images called generated.</param>
/// <param name="FalseNegatives">Generated images called real.</param>
/// <param name="TrueNegatives">Real images called real.</param>
/// <param name="FalsePositives">Real images called generated.</param>
public sealed record Confusion(int TruePositives, int FalseNegatives, int TrueNegatives, int FalsePositives)
{
    /// <summary>Accuracy on generated images (recall of the positive class).</summary>
    public double FakeAccuracy => Ratio(TruePositives, TruePositives + FalseNegatives);
    /// <summary>Accuracy on real images (specificity).</summary>
    public double RealAccuracy => Ratio(TrueNegatives, TrueNegatives + FalsePositives);
    /// <summary>Mean of the two per-class accuracies, as the method's paper reports.</summary>
    public double BalancedAccuracy => (FakeAccuracy + RealAccuracy) / 2;

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;
}

/// <summary>Detection metrics from scores (higher = more likely generated) and labels (true = generated).</summary>
public static class DetectionMetrics
{
    /// <summary>The confusion table of the decisions <c>score &gt; threshold</c>.</summary>
    public static Confusion Confusion(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, double threshold = 0)
    {
        Check(scores, labels);
        int tp = 0, fn = 0, tn = 0, fp = 0;
        for (int i = 0; i < scores.Count; i++)
        {
            bool predicted = scores[i] > threshold;
            if (labels[i]) { if (predicted) tp++; else fn++; }
            else { if (predicted) fp++; else tn++; }
        }
        return new Confusion(tp, fn, tn, fp);
    }

    /// <summary>Area under the ROC curve: the probability that a random generated image scores higher
    /// than a random real one, ties counting half (Mann–Whitney U / (n₁·n₀)). NaN without both classes.</summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        Check(scores, labels);
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        // Mid-ranks, so that ties count half.
        var ranks = new double[scores.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            double midRank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = midRank;
            start = end + 1;
        }
        long positives = labels.Count(l => l), negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        double rankSum = 0;
        for (int i = 0; i < ranks.Length; i++) if (labels[i]) rankSum += ranks[i];
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    private static void Check(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        if (scores.Count != labels.Count) throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels.");
        if (scores.Any(double.IsNaN)) throw new ArgumentException("A score is NaN.");
    }
}
