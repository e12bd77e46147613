using Dif.Evaluation;
using Dif.Fingerprinting;

namespace Dif.Tests.Fingerprinting;

public sealed class FingerprintFitterTests
{
    private const int Size = 16;

    /// <summary>Residual sets at S=16 where every generated residual carries the same faint pattern.</summary>
    private static (List<float[]> Real, List<float[]> Fake) Residuals(int n, int seed, double strength = 0.5)
    {
        var pattern = Noise(new Random(99));
        var r = new Random(seed);
        return (Enumerable.Range(0, n).Select(_ => Noise(r)).ToList(),
                Enumerable.Range(0, n).Select(_ => Noise(r).Zip(pattern, (e, p) => (float)(e + strength * p)).ToArray()).ToList());
    }

    private static float[] Noise(Random r) => Enumerable.Range(0, 3 * Size * Size).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    // The method's margin (0.01) suits S=256, where one residual's chance correlation with a pattern has
    // a spread of about 1/√(3·256²) ≈ 0.002; at S=16 it is ≈ 0.036, so the test scales the margin up.
    private static FingerprintFitOptions Quick() => new() { Epochs = 40, BatchSize = 16, Device = "cpu", CentreWindow = 10, Margin = 0.2 };

    [Fact]
    public void Fitting_separates_generated_from_real_residuals_it_has_not_seen()
    {
        var (real, fake) = Residuals(24, seed: 1);
        var fitted = new FingerprintFitter(Quick()).Fit(real, fake, Size);
        Assert.NotEqual(fitted.RealCentre, fitted.FakeCentre);
        var (testReal, testFake) = Residuals(40, seed: 2);
        var scores = testReal.Concat(testFake).Select(fitted.Score).ToArray();
        var labels = testReal.Select(_ => false).Concat(testFake.Select(_ => true)).ToArray();
        Assert.True(DetectionMetrics.Auc(scores, labels) > 0.95, $"AUC {DetectionMetrics.Auc(scores, labels)}");
        Assert.True(DetectionMetrics.Confusion(scores, labels).BalancedAccuracy > 0.85);
    }

    [Fact]
    public void Progress_is_reported_every_epoch()
    {
        var (real, fake) = Residuals(8, seed: 3);
        var reports = new List<FingerprintFitProgress>();
        new FingerprintFitter(new FingerprintFitOptions { Epochs = 3, BatchSize = 8, Device = "cpu" }).Fit(real, fake, Size, new Collect(reports));
        Assert.Equal([1, 2, 3], reports.Select(r => r.Epoch));
    }

    [Fact]
    public void Fitting_without_generated_images_is_a_clear_error()
        => Assert.Contains("0 generated", Assert.Throws<DifException>(() => new FingerprintFitter(Quick()).Fit([new float[3 * Size * Size]], [], Size)).Message);

    private sealed class Collect(List<FingerprintFitProgress> into) : IProgress<FingerprintFitProgress>
    {
        public void Report(FingerprintFitProgress value) => into.Add(value);
    }
}
