using Dif.Evaluation;
using Dif.Fingerprinting;

namespace Dif.Tests.Fingerprinting;

public sealed class ResidualAveragingDetectorTests
{
    private static float[] Noise(Random r, int n, double scale = 1) => Enumerable.Range(0, n).Select(_ => (float)(scale * (r.NextDouble() * 2 - 1))).ToArray();

    /// <summary>Residual sets where every generated residual carries the same faint pattern.</summary>
    private static (LabelledResiduals Train, LabelledResiduals Test) Synthetic(double patternStrength, int n = 40, int length = 3 * 16 * 16)
    {
        var r = new Random(1);
        var pattern = Noise(r, length);
        float[] Fake() => Noise(r, length).Zip(pattern, (e, p) => (float)(e + patternStrength * p)).ToArray();
        LabelledResiduals Set() => new(Enumerable.Range(0, n).Select(_ => Noise(r, length)).ToList(), Enumerable.Range(0, n).Select(_ => Fake()).ToList());
        return (Set(), Set());
    }

    [Fact]
    public void Pearson_matches_a_hand_computed_value()
    {
        // a = [1,2,3], b = [1,3,2]: means 2, 2; covariance (0·… ) = (−1·−1 + 0·1 + 1·0)/3 = 1/3; std √(2/3) each → ρ = 0.5.
        Assert.Equal(0.5, Correlation.Pearson([1f, 2f, 3f], [1f, 3f, 2f]), 6);
        Assert.Equal(-1.0, Correlation.Pearson([1f, 2f, 3f], [3f, 2f, 1f]), 6);
    }

    [Fact]
    public void Baseline_separates_residuals_that_share_a_pattern()
    {
        var (train, test) = Synthetic(patternStrength: 0.3);
        var report = EvaluationHarness.Run("synthetic", [() => new ResidualAveragingDetector()], train, test, [40]);
        var row = Assert.Single(report.Results);
        Assert.True(row.BalancedAccuracy > 0.95, $"balanced accuracy {row.BalancedAccuracy}");
        Assert.True(row.Auc > 0.99, $"AUC {row.Auc}");
    }

    [Fact]
    public void Baseline_is_at_chance_without_a_pattern()
    {
        var (train, test) = Synthetic(patternStrength: 0);
        var row = Assert.Single(EvaluationHarness.Run("null", [() => new ResidualAveragingDetector()], train, test, [40]).Results);
        Assert.InRange(row.Auc, 0.3, 0.7);
    }

    [Fact]
    public void Harness_sweeps_training_sizes_and_reports_markdown_and_json()
    {
        var (train, test) = Synthetic(patternStrength: 0.3);
        var report = EvaluationHarness.Run("sweep", [() => new ResidualAveragingDetector()], train, test, [4, 16, 40]);
        Assert.Equal([4, 16, 40], report.Results.Select(r => r.TrainPerClass));
        Assert.Contains("| residual averaging | 16 |", report.ToMarkdown());
        Assert.Contains("\"train_per_class\": 40", report.ToJson());
    }

    [Fact]
    public void Harness_results_keep_the_test_scores_and_draw_one_histogram_each()
    {
        var (train, test) = Synthetic(patternStrength: 0.3);
        var report = EvaluationHarness.Run("hist", [() => new ResidualAveragingDetector()], train, test, [4, 40]);
        Assert.All(report.Results, r => Assert.Equal((test.Real.Count, test.Fake.Count), (r.RealScores!.Count, r.FakeScores!.Count)));
        using var dir = new TestFiles();
        var paths = ScoreHistogram.WriteAll(report, dir.Root, "synthetic");
        Assert.Equal(2, paths.Count);
        foreach (var p in paths)
            using (var png = SixLabors.ImageSharp.Image.Load(p)) Assert.Equal(760, png.Width);
    }

    [Fact]
    public void Asking_for_more_training_images_than_exist_is_refused()
    {
        var (train, test) = Synthetic(patternStrength: 0.3, n: 5);
        Assert.Throws<ArgumentException>(() => EvaluationHarness.Run("x", [() => new ResidualAveragingDetector()], train, test, [10]));
    }

    [Fact]
    public void Fitting_without_one_class_is_refused()
        => Assert.Throws<ArgumentException>(() => new ResidualAveragingDetector().Fit([new float[3]], []));
}
