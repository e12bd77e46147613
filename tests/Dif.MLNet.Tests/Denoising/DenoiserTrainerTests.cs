using Dif.Denoising;
using Dif.Imaging;
using TorchSharp;

namespace Dif.Tests.Denoising;

public sealed class DenoiserTrainerTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private TrainingPhotos Photos()
    {
        // Photos in their own folder: a folder given for training is read whole, so nothing else may live there.
        Directory.CreateDirectory(files.PathOf("photos"));
        files.Png(Path.Combine("photos", "p1.png"), 64, 64, seed: 1);
        files.Jpeg(Path.Combine("photos", "p2.jpg"), 72, 64, seed: 2);
        return TrainingPhotos.Load([files.PathOf("photos")]);
    }

    private static DenoiserTrainingOptions Tiny(int steps, string? checkpoint = null) => new()
    {
        PatchSize = 16, BatchSize = 4, Steps = steps, Device = "cpu", ValidateEvery = 0,
        BiasCropSize = 32, BiasCrops = 2, CheckpointEvery = 3, CheckpointPath = checkpoint,
    };

    private static float[] Weights(Denoiser d)
        => d.Network.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();

    [Fact]
    public void Training_lowers_the_loss_and_stores_a_bias_pattern_and_summary()
    {
        var reports = new List<DenoiserTrainingProgress>();
        using var d = new DenoiserTrainer(Tiny(40)).Train(Photos(), null, new Collect(reports));
        Assert.Equal(40, reports[^1].Step);
        Assert.True(reports[^1].Loss < reports[0].Loss, $"loss went from {reports[0].Loss} to {reports[^1].Loss}");
        Assert.Equal(32, d.BiasSize);
        Assert.Contains("\"steps\":40", d.Metadata["training"]);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_gives_the_same_weights_as_an_uninterrupted_run()
    {
        int threads = torch.get_num_threads();
        torch.set_num_threads(1); // bit-for-bit comparison needs single-threaded kernels
        try
        {
            var straightTrainer = new DenoiserTrainer(Tiny(6));
            using var straight = straightTrainer.Train(Photos());
            var checkpoint = files.PathOf("ckpt.safetensors");
            using var cts = new CancellationTokenSource();
            // Stop after step 3's checkpoint is written, as an interrupted run would.
            var stopper = new Collect([], p => { if (p.Step >= 4) cts.Cancel(); });
            var options = Tiny(6, checkpoint);
            Assert.ThrowsAny<OperationCanceledException>(() => new DenoiserTrainer(options).Train(Photos(), null, stopper, cts.Token));
            Assert.True(File.Exists(checkpoint));
            var resumedTrainer = new DenoiserTrainer(Tiny(6, checkpoint));
            using var resumed = resumedTrainer.Train(Photos());
            Assert.Equal((0, 0), (straightTrainer.SkippedSteps, resumedTrainer.SkippedSteps));
            Assert.Equal(Weights(straight), Weights(resumed));
        }
        finally { torch.set_num_threads(threads); }
    }

    [Fact]
    public void Noise_curriculum_starts_strong_and_ends_at_the_target_range()
    {
        var t = new DenoiserTrainer(new DenoiserTrainingOptions { Steps = 100 });
        Assert.Equal((40.0, 60.0), t.SigmaRangeAt(0));
        Assert.Equal((5.0, 15.0), t.SigmaRangeAt(50));
        Assert.Equal((5.0, 15.0), t.SigmaRangeAt(99));
        var mid = t.SigmaRangeAt(30);
        Assert.InRange(mid.Min, 5.0, 40.0);
        Assert.InRange(mid.Max, 15.0, 60.0);
    }

    [Fact]
    public void Psnr_measure_reports_noisy_denoised_and_blur_figures()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var crops = Photos().Crops(32, 2, seed: 1).ToList();
        var q = DenoiserEvaluation.Measure(d, crops, sigma: 15);
        // σ=15 noise on [0,1] images: PSNR ≈ 20·log10(255/15) ≈ 24.6 dB.
        Assert.InRange(q.NoisyPsnr, 23.5, 25.5);
        Assert.True(q.BlurGain > 0, "a 3×3 blur removes some white noise");
        Assert.Equal(2, q.Images);
    }

    private sealed class Collect(List<DenoiserTrainingProgress> into, Action<DenoiserTrainingProgress>? also = null) : IProgress<DenoiserTrainingProgress>
    {
        public void Report(DenoiserTrainingProgress value)
        {
            into.Add(value);
            also?.Invoke(value);
        }
    }
}
