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
    private static FingerprintFitOptions Quick() => new() { Epochs = 40, MinSteps = 0, BatchSize = 16, Device = "cpu", CentreWindow = 10, Margin = 0.2 };

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
        new FingerprintFitter(new FingerprintFitOptions { Epochs = 3, MinSteps = 0, BatchSize = 8, Device = "cpu" }).Fit(real, fake, Size, progress: new Collect(reports));
        Assert.Equal([1, 2, 3], reports.Select(r => r.Epoch));
    }

    [Fact]
    public void A_small_set_is_fitted_for_the_step_budget_not_for_the_epoch_count()
    {
        // 8 + 8 residuals fit in one batch of 64: an epoch is one step, so 3 epochs would be 3 steps.
        var (real, fake) = Residuals(8, seed: 3);
        var reports = new List<FingerprintFitProgress>();
        var options = new FingerprintFitOptions { Epochs = 3, MinSteps = 20, Device = "cpu", CalibrationFraction = 0 };
        var fitted = new FingerprintFitter(options).Fit(real, fake, Size, progress: new Collect(reports));
        Assert.Equal(Enumerable.Range(1, 20), reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.Equal(20, r.Epochs));
        Assert.Equal(20, fitted.Summary!.Epochs);
    }

    [Fact]
    public void The_step_budget_never_shortens_a_fit_of_more_epochs()
    {
        var (real, fake) = Residuals(8, seed: 3);
        var reports = new List<FingerprintFitProgress>();
        new FingerprintFitter(new FingerprintFitOptions { Epochs = 5, MinSteps = 2, BatchSize = 8, Device = "cpu" }).Fit(real, fake, Size, progress: new Collect(reports));
        Assert.Equal(5, reports.Count);
    }

    [Theory]
    [InlineData(16, 64, 1)]
    [InlineData(256, 64, 4)]
    [InlineData(7, 64, 1)]
    public void Steps_per_epoch_are_whole_even_batches_of_the_set(int images, int batch, int steps)
    {
        var options = new FingerprintFitOptions { BatchSize = batch };
        Assert.Equal(steps, options.StepsPerEpoch(images));
        Assert.Equal(0, options.BatchFor(images) % 2);
        Assert.Equal(Math.Max(options.Epochs, (options.MinSteps + steps - 1) / steps), options.EpochsFor(images));
    }

    [Fact]
    public void The_same_seed_gives_the_same_fingerprint()
    {
        var (real, fake) = Residuals(12, seed: 4);
        var options = new FingerprintFitOptions { Epochs = 4, MinSteps = 0, BatchSize = 8, Device = "cpu", Margin = 0.2 };
        var a = new FingerprintFitter(options).Fit(real, fake, Size);
        var b = new FingerprintFitter(options).Fit(real, fake, Size);
        Assert.Equal(a.Pattern, b.Pattern);
        Assert.Equal((a.RealCentre, a.FakeCentre, a.Calibration), (b.RealCentre, b.FakeCentre, b.Calibration));
    }

    [Fact]
    public void Another_seed_gives_another_fingerprint()
    {
        var (real, fake) = Residuals(12, seed: 4);
        var a = new FingerprintFitter(new FingerprintFitOptions { Epochs = 2, MinSteps = 0, BatchSize = 8, Device = "cpu", Seed = 1 }).Fit(real, fake, Size);
        var b = new FingerprintFitter(new FingerprintFitOptions { Epochs = 2, MinSteps = 0, BatchSize = 8, Device = "cpu", Seed = 2 }).Fit(real, fake, Size);
        Assert.NotEqual(a.Pattern, b.Pattern);
    }

    [Fact]
    public void A_fit_resumed_from_its_checkpoint_ends_as_an_uninterrupted_one()
    {
        using var dir = new TestFiles();
        var (real, fake) = Residuals(12, seed: 5);
        FingerprintFitOptions Options(string run) => new()
        {
            Epochs = 5, MinSteps = 0, BatchSize = 8, Device = "cpu", Margin = 0.2, CheckpointEvery = 2, Resume = true,
            CheckpointPath = Path.Combine(dir.Root, $"{run}.ckpt.safetensors"),
        };
        var uninterrupted = new FingerprintFitter(Options("whole")).Fit(real, fake, Size);

        // Interrupt a second run after epoch 3 (its last checkpoint is epoch 2), then resume it.
        var interrupted = Options("interrupted");
        using var stop = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => new FingerprintFitter(interrupted).Fit(real, fake, Size,
            progress: new Collect(then: p => { if (p.Epoch == 3) stop.Cancel(); }), cancellationToken: stop.Token));
        var resumedReports = new List<FingerprintFitProgress>();
        var resumed = new FingerprintFitter(interrupted).Fit(real, fake, Size, progress: new Collect(resumedReports));

        Assert.Equal([3, 4, 5], resumedReports.Select(r => r.Epoch));
        Assert.Equal(uninterrupted.Pattern, resumed.Pattern);
        Assert.Equal((uninterrupted.RealCentre, uninterrupted.FakeCentre), (resumed.RealCentre, resumed.FakeCentre));
    }

    [Fact]
    public void A_checkpoint_of_other_data_is_refused()
    {
        using var dir = new TestFiles();
        var path = Path.Combine(dir.Root, "fit.ckpt.safetensors");
        var (real, fake) = Residuals(8, seed: 6);
        new FingerprintFitter(new FingerprintFitOptions { Epochs = 1, MinSteps = 0, BatchSize = 8, Device = "cpu", CheckpointPath = path }).Fit(real, fake, Size);
        var (otherReal, otherFake) = Residuals(8, seed: 7);
        var e = Assert.Throws<DifModelFileException>(() => new FingerprintFitter(
            new FingerprintFitOptions { Epochs = 2, MinSteps = 0, BatchSize = 8, Device = "cpu", CheckpointPath = path, Resume = true }).Fit(otherReal, otherFake, Size));
        Assert.Contains("another fit", e.Message);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void Calibration_is_fitted_on_held_out_images_when_each_class_can_spare_them()
    {
        var (real, fake) = Residuals(20, seed: 8);
        var fitted = new FingerprintFitter(new FingerprintFitOptions { Epochs = 2, MinSteps = 0, BatchSize = 8, Device = "cpu" }).Fit(real, fake, Size);
        Assert.Equal(ScoreCalibration.HeldOut, fitted.Calibration.Source);
        Assert.Equal(8, fitted.Calibration.Images);
        Assert.Equal((16, 16), (fitted.Summary!.RealImages, fitted.Summary.FakeImages));
    }

    [Fact]
    public void Calibration_falls_back_to_training_images_for_tiny_sets_and_says_so()
    {
        var (real, fake) = Residuals(4, seed: 9);
        var fitted = new FingerprintFitter(new FingerprintFitOptions { Epochs = 2, MinSteps = 0, BatchSize = 8, Device = "cpu" }).Fit(real, fake, Size);
        Assert.Equal(ScoreCalibration.Training, fitted.Calibration.Source);
        Assert.Equal((4, 4), (fitted.Summary!.RealImages, fitted.Summary.FakeImages));
    }

    [Fact]
    public void The_boost_term_changes_the_fit_and_still_separates_the_classes()
    {
        var (real, fake) = Residuals(24, seed: 1);
        var options = Quick();
        options.Boost = true;
        var boosted = new FingerprintFitter(options).Fit(real, fake, Size);
        Assert.True(boosted.Summary!.Boost);
        var brief = new FingerprintFitOptions { Epochs = 2, MinSteps = 0, BatchSize = 8, Device = "cpu", Margin = 0.2 };
        var plainBrief = new FingerprintFitter(brief).Fit(real, fake, Size);
        brief.Boost = true;
        Assert.NotEqual(plainBrief.Pattern, new FingerprintFitter(brief).Fit(real, fake, Size).Pattern);
        var (testReal, testFake) = Residuals(40, seed: 2);
        var scores = testReal.Concat(testFake).Select(boosted.Score).ToArray();
        var labels = testReal.Select(_ => false).Concat(testFake.Select(_ => true)).ToArray();
        Assert.True(DetectionMetrics.Auc(scores, labels) > 0.95, $"AUC {DetectionMetrics.Auc(scores, labels)}");
    }

    [Fact]
    public void Fitting_without_generated_images_is_a_clear_error()
        => Assert.Contains("0 generated", Assert.Throws<DifException>(() => new FingerprintFitter(Quick()).Fit([new float[3 * Size * Size]], [], Size)).Message);

    [Fact]
    public void A_training_set_over_the_memory_limit_is_spilled_to_disk_and_fits_the_same_fingerprint()
    {
        var (real, fake) = Residuals(12, seed: 1);
        // A few steps: the two paths sum the same products in another order (a mat-vec over all rows vs the
        // batch's), and a long fit lets float rounding drift apart as any two machines would.
        var inMemory = new FingerprintFitter(new FingerprintFitOptions { Epochs = 3, MinSteps = 0, BatchSize = 16, Device = "cpu", Margin = 0.2 }).Fit(real, fake, Size);
        var spilling = new FingerprintFitOptions { Epochs = 3, MinSteps = 0, BatchSize = 16, Device = "cpu", Margin = 0.2 };
        spilling.MaxResidualBytes = 3 * Size * Size * sizeof(float);   // room for one residual of 24
        var spilled = new FingerprintFitter(spilling).Fit(real, fake, Size);

        Assert.Equal(inMemory.RealCentre, spilled.RealCentre, 6);
        Assert.Equal(inMemory.FakeCentre, spilled.FakeCentre, 6);
        Assert.True(inMemory.Pattern.Zip(spilled.Pattern).All(p => Math.Abs(p.First - p.Second) < 1e-5f));
    }

    [Fact]
    public void Residuals_spill_to_disk_only_past_the_limit()
    {
        var (real, _) = Residuals(3, seed: 1);
        long one = 3 * Size * Size * sizeof(float);
        using (var held = StandardisedResiduals.Create(real, 3 * Size * Size, TorchSharp.torch.CPU, 3 * one, null)) Assert.False(held.Spilled);
        using (var spilled = StandardisedResiduals.Create(real, 3 * Size * Size, TorchSharp.torch.CPU, 3 * one - 1, null)) Assert.True(spilled.Spilled);
    }

    [Fact]
    public void The_default_memory_limit_is_a_quarter_of_the_memory_available()
        => Assert.Equal(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4, new FingerprintFitOptions().MaxResidualBytes);

    private sealed class Collect(List<FingerprintFitProgress>? into = null, Action<FingerprintFitProgress>? then = null) : IProgress<FingerprintFitProgress>
    {
        public void Report(FingerprintFitProgress value)
        {
            into?.Add(value);
            then?.Invoke(value);
        }
    }
}
