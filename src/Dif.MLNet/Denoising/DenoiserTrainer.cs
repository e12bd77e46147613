using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dif.Devices;
using Dif.Imaging;
using Dif.Persistence;
using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Denoising;

/// <summary>Trains a DnCNN denoiser on real photos (docs/method.md §2.2): random crops, Gaussian noise with σ
/// uniform in [SigmaMin, SigmaMax], the noise as target, MSE, Adam. Checkpoints periodically, resumes
/// from its checkpoint, and ends by computing the bias pattern F_DnCNN from the same photos.</summary>
public sealed class DenoiserTrainer
{
    private readonly DenoiserTrainingOptions options;

    /// <summary>Creates a trainer.</summary>
    public DenoiserTrainer(DenoiserTrainingOptions? options = null)
    {
        this.options = options ?? new DenoiserTrainingOptions();
        this.options.Validate();
    }

    /// <summary>Trains on <paramref name="photos"/>; <paramref name="validation"/> (clean S×S crops of
    /// other photos) is used for the PSNR reports.</summary>
    public Denoiser Train(TrainingPhotos photos, IReadOnlyList<PreparedImage>? validation = null,
                          IProgress<DenoiserTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = options;
        var device = DeviceSpec.Resolve(o.Device);
        torch.manual_seed(o.Seed);
        var net = new DnCnn();
        if (o.IdentityInitialisation) net.InitialiseMiddleAsIdentity();
        if (o.HighPassFirstLayer) net.InitialiseFirstLayerHighPass();
        var denoiser = new Denoiser(net, device, null, new Dictionary<string, string>(), null);
        using var adam = new AdamW(net, o.LearningRate);

        int start = 0;
        if (o.CheckpointPath is not null && File.Exists(o.CheckpointPath))
            start = LoadCheckpoint(o.CheckpointPath, net, adam);

        var clock = Stopwatch.StartNew();
        int p = o.PatchSize, n = o.BatchSize;
        var buffer = new float[n * 3 * p * p];
        double lossSum = 0;
        int lossCount = 0;
        DenoiserQuality? last = null;
        for (int step = start; step < o.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            net.train();
            adam.LearningRate = LearningRateAt(step);
            // Per-step seeds make the run resumable without storing random-generator state.
            var random = new Random(StepSeeds.Of(o.Seed, step, 0));
            photos.SamplePatches(random, n, p, buffer);
            // `using` keeps the generator alive until both draws have returned (its finaliser must not run mid-call).
            using var gen = new torch.Generator((ulong)StepSeeds.Of(o.Seed, step, 1));
            using (var scope = NewDisposeScope())
            {
                var clean = torch.tensor(buffer, [n, 3, p, p]).to(device);
                var (lo, hi) = SigmaRangeAt(step);
                using var range = Scalars.Of((hi - lo) / 255.0);
                using var low = Scalars.Of(lo / 255.0);
                var sigmas = torch.rand([n, 1, 1, 1], generator: gen).mul_(range).PlusInPlace(low);
                var noise = torch.randn([n, 3, p, p], generator: gen).mul_(sigmas).to(device);
                var predicted = net.forward(clean.Plus(noise));
                // DnCNN's loss: squared error summed over a patch, halved, averaged over the batch.
                using var half = Scalars.Of(2.0 * n);
                var loss = predicted.Minus(noise).square().sum().div_(half);
                adam.ZeroGrad();
                loss.backward();
                var lossValue = loss.item<float>();
                // A non-finite loss or gradient is skipped, not applied: one bad step would poison
                // every weight. (libtorch's conv backward once gave us NaN gradients; DnCnn.forward
                // works around that bug, and this guard catches anything like it.)
                if (float.IsFinite(lossValue) && GradientsFinite(net))
                {
                    adam.Step();
                    lossSum += lossValue;
                    lossCount++;
                }
                else SkippedSteps++;
            }
            int done = step + 1;
            bool validate = validation is { Count: > 0 } && o.ValidateEvery > 0 && (done % o.ValidateEvery == 0 || done == o.Steps);
            if (validate)
            {
                net.eval();
                last = DenoiserEvaluation.Measure(denoiser, validation!);
            }
            if (validate || done % 10 == 0 || done == o.Steps)
            {
                progress?.Report(new DenoiserTrainingProgress(done, o.Steps, lossSum / Math.Max(1, lossCount), adam.LearningRate, clock.Elapsed, validate ? last!.DenoiserGain : null));
                lossSum = 0;
                lossCount = 0;
            }
            if (o.CheckpointPath is not null && o.CheckpointEvery > 0 && done % o.CheckpointEvery == 0 && done < o.Steps)
                SaveCheckpoint(o.CheckpointPath, net, adam, done);
        }

        net.eval();
        denoiser.ComputeBiasPattern(photos.Crops(o.BiasCropSize, o.BiasCrops, o.Seed), cancellationToken: cancellationToken);
        denoiser.SetMetadata("training", JsonSerializer.Serialize(new
        {
            recipe = "Dif DnCNN-S: random crops, Gaussian sigma uniform in [min,max] (0-255) after a high-noise warm-up, noise target, sum-SE/2 loss, Adam with cosine decay",
            warmup_sigma_min = o.WarmupSigmaMin, warmup_sigma_max = o.WarmupSigmaMax, warmup_fraction = o.WarmupFraction, anneal_end_fraction = o.AnnealEndFraction,
            patch = p, batch = n, sigma_min = o.SigmaMin, sigma_max = o.SigmaMax,
            lr = o.LearningRate, final_lr = o.FinalLearningRate, steps = o.Steps, identity_init = o.IdentityInitialisation, high_pass_init = o.HighPassFirstLayer,
            seed = o.Seed, skipped_steps = SkippedSteps, photos = photos.Paths.Select(Path.GetFileName).ToArray(),
            bias_crop_size = o.BiasCropSize, bias_crops = o.BiasCrops,
        }));
        if (last is not null)
            denoiser.SetMetadata("validation", JsonSerializer.Serialize(last));
        return denoiser;
    }

    /// <summary>Steps skipped because their loss or gradients were not finite (reported in the training summary).</summary>
    public int SkippedSteps { get; private set; }

    internal static bool GradientsFinite(nn.Module module)
    {
        using var scope = NewDisposeScope();
        foreach (var p in module.parameters())
        {
            var g = p.grad;
            if (g is not null && !g.isfinite().all().item<bool>()) return false;
        }
        return true;
    }

    /// <summary>The σ range (0–255 scale) used at <paramref name="step"/>: the warm-up range, then a
    /// linear anneal to the target range.</summary>
    public (double Min, double Max) SigmaRangeAt(int step)
    {
        var o = options;
        double t = (double)step / o.Steps;
        if (t < o.WarmupFraction) return (o.WarmupSigmaMin, o.WarmupSigmaMax);
        if (t >= o.AnnealEndFraction || o.AnnealEndFraction <= o.WarmupFraction) return (o.SigmaMin, o.SigmaMax);
        double u = (t - o.WarmupFraction) / (o.AnnealEndFraction - o.WarmupFraction);
        return (o.WarmupSigmaMin + u * (o.SigmaMin - o.WarmupSigmaMin), o.WarmupSigmaMax + u * (o.SigmaMax - o.WarmupSigmaMax));
    }

    /// <summary>Cosine decay from LearningRate to FinalLearningRate over the run.</summary>
    public double LearningRateAt(int step)
    {
        double t = options.Steps <= 1 ? 1 : (double)step / (options.Steps - 1);
        return options.FinalLearningRate + 0.5 * (options.LearningRate - options.FinalLearningRate) * (1 + Math.Cos(Math.PI * t));
    }

    private static void SaveCheckpoint(string path, DnCnn net, AdamW adam, int step)
    {
        var tensors = ModuleWeights.Export(net, "model.");
        foreach (var (k, v) in adam.ExportState()) tensors[k] = v;
        SafeTensors.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = "dif-denoiser-checkpoint",
            ["format_version"] = "1",
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
        });
    }

    private static int LoadCheckpoint(string path, DnCnn net, AdamW adam)
    {
        var (tensors, meta) = SafeTensors.Read(path);
        if (!meta.TryGetValue("format", out var f) || f != "dif-denoiser-checkpoint")
            throw new DifModelFileException(path, "is not a Dif denoiser checkpoint.");
        ModuleWeights.Import(net, tensors, path, "model.");
        adam.ImportState(tensors, path);
        return int.Parse(meta["step"], CultureInfo.InvariantCulture);
    }
}
