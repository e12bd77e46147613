using Dif.Evaluation;

namespace Dif.Tests.Evaluation;

public sealed class DetectionMetricsTests
{
    [Fact]
    public void Perfect_separation_has_auc_one_and_full_accuracy()
    {
        double[] scores = [-2, -1, 1, 2];
        bool[] labels = [false, false, true, true];
        Assert.Equal(1.0, DetectionMetrics.Auc(scores, labels));
        Assert.Equal(1.0, DetectionMetrics.Confusion(scores, labels).BalancedAccuracy);
    }

    [Fact]
    public void Reversed_scores_have_auc_zero()
        => Assert.Equal(0.0, DetectionMetrics.Auc([2.0, 1.0, -1.0, -2.0], [false, false, true, true]));

    [Fact]
    public void Ties_count_half()
        // One positive at 0.5, two negatives at 0.5 and 0: pairs (0.5 vs 0.5) = ½, (0.5 vs 0) = 1 → 0.75.
        => Assert.Equal(0.75, DetectionMetrics.Auc([0.5, 0.5, 0.0], [true, false, false]));

    [Fact]
    public void Auc_matches_counting_pairs_by_hand()
    {
        double[] scores = [0.1, 0.4, 0.35, 0.8, 0.7, 0.2];
        bool[] labels = [false, true, false, true, false, true];
        // Positives 0.4, 0.8, 0.2; negatives 0.1, 0.35, 0.7. Pairs won: 0.4→2, 0.8→3, 0.2→1 = 6 of 9.
        Assert.Equal(6.0 / 9.0, DetectionMetrics.Auc(scores, labels), 12);
    }

    [Fact]
    public void Balanced_accuracy_is_the_mean_of_per_class_accuracies()
    {
        // 3 fakes (2 caught), 1 real (called real): fake 2/3, real 1/1, balanced 5/6 — plain accuracy would be 3/4.
        var c = DetectionMetrics.Confusion([1.0, 1.0, -1.0, -1.0], [true, true, true, false]);
        Assert.Equal(new Confusion(2, 1, 1, 0), c);
        Assert.Equal(2.0 / 3.0, c.FakeAccuracy, 12);
        Assert.Equal(1.0, c.RealAccuracy);
        Assert.Equal(5.0 / 6.0, c.BalancedAccuracy, 12);
    }

    [Fact]
    public void Threshold_moves_the_decisions()
        => Assert.Equal(new Confusion(1, 1, 2, 0), DetectionMetrics.Confusion([0.5, 2.0, 0.0, 0.9], [true, true, false, false], threshold: 1.0));

    [Fact]
    public void Mismatched_lengths_and_nan_scores_are_refused()
    {
        Assert.Throws<ArgumentException>(() => DetectionMetrics.Auc([1.0], [true, false]));
        Assert.Throws<ArgumentException>(() => DetectionMetrics.Confusion([double.NaN], [true]));
    }

    [Fact]
    public void Auc_without_both_classes_is_nan()
        => Assert.True(double.IsNaN(DetectionMetrics.Auc([1.0, 2.0], [true, true])));
}
