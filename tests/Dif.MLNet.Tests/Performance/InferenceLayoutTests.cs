using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Tests.Denoising;
using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Tests.Performance;

/// <summary>Guards for the inference optimisations (docs/performance.md): the residuals Dif computes on the fast
/// path are the residuals of the plain path, within float rounding. No timing is asserted here; the speed is
/// measured by bench/run.sh.</summary>
public sealed class InferenceLayoutTests
{
    /// <summary>The plain path the optimisations replace: default (NCHW) layout, batch as given, no bias.</summary>
    private static Tensor PlainNoise(Denoiser d, Tensor batch)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        int p = DnCnnArchitecture.Padding;
        var padded = nn.functional.pad(batch, [p, p, p, p], PaddingModes.Constant, 0);
        Assert.True(padded.is_contiguous());
        var noise = d.Network.forward(padded);
        long h = batch.shape[2], w = batch.shape[3];
        return noise[.., .., p..(int)(p + h), p..(int)(p + w)].contiguous().MoveToOuterDisposeScope();
    }

    private static Tensor Photos(int size, int count)
    {
        var files = Directory.GetFiles(RepoPaths.EvaluationPhotos).Order(StringComparer.Ordinal).Take(count).ToList();
        var flat = files.SelectMany(f => ImageLoader.Load(f, new ImageLoadOptions { CropSize = size }).Pixels).ToArray();
        return torch.tensor(flat, [files.Count, 3, size, size]);
    }

    [Fact]
    public void Default_denoiser_residuals_at_256_equal_the_plain_layout_and_keep_correlations()
    {
        using var d = Denoiser.LoadDefault("cpu");
        using var images = Photos(256, 2);
        using var fast = d.PredictNoise(images);
        using var plain = PlainNoise(d, images);
        Assert.True(fast.is_contiguous()); // callers read data<float>() in N×C×H×W order
        Assert.Equal(plain.shape, fast.shape);
        double maxDiff = fast.sub(plain).abs().max().item<float>();
        double scale = plain.abs().max().item<float>();
        Assert.True(scale > 1e-3, "the residual is not trivially zero");
        Assert.True(maxDiff <= 1e-5, $"max |fast − plain| = {maxDiff:E2} (residual scale {scale:E2})");

        // What detection reads: Pearson correlation with a fingerprint pattern.
        var rng = new Random(3);
        var pattern = Enumerable.Range(0, 3 * 256 * 256).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        using var fastRows = fast.reshape(2, -1);
        using var plainRows = plain.reshape(2, -1);
        for (int i = 0; i < 2; i++)
        {
            double a = Correlation.Pearson(pattern, fastRows[i].data<float>().ToArray());
            double b = Correlation.Pearson(pattern, plainRows[i].data<float>().ToArray());
            Assert.True(Math.Abs(a - b) <= 1e-6, $"ρ {a:E6} vs {b:E6}");
        }
    }

    [Fact]
    public void Bf16_residuals_stay_within_eight_percent_of_float32_ones_and_leave_the_float32_path_exact()
    {
        using var d = Denoiser.LoadDefault("cpu");
        using var images = Photos(256, 2);
        using var before = d.PredictNoise(images);
        d.Precision = InferencePrecision.BFloat16;
        using var bf16 = d.PredictNoise(images);
        d.Precision = InferencePrecision.Float32;
        using var after = d.PredictNoise(images);

        Assert.Equal(ScalarType.Float32, bf16.dtype);
        Assert.False(bf16.allclose(before, 0, 0), "bf16 gave float32's values exactly: it did not run in bf16");
        Assert.True(after.allclose(before, 0, 0), "float32 residuals changed after a bf16 call (stale folded weights)");
        using var error = bf16.sub(before);
        double relative = error.square().mean().sqrt().item<float>() / before.square().mean().sqrt().item<float>();
        Assert.True(relative <= 0.08, $"RMS(bf16 − fp32) / RMS(fp32) = {relative:P2}");

        // What detection reads: the correlation with a pattern moves by a small fraction of the residual's own scale.
        var rng = new Random(3);
        var pattern = Enumerable.Range(0, 3 * 256 * 256).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        using var fastRows = bf16.reshape(2, -1);
        using var exactRows = before.reshape(2, -1);
        for (int i = 0; i < 2; i++)
        {
            var exact = exactRows[i].data<float>().ToArray();
            double self = Correlation.Pearson(exact, fastRows[i].data<float>().ToArray());
            Assert.True(self >= 0.995, $"image {i}: ρ(bf16, fp32) = {self:F5}");
            double a = Correlation.Pearson(pattern, fastRows[i].data<float>().ToArray());
            double b = Correlation.Pearson(pattern, exact);
            Assert.True(Math.Abs(a - b) <= 1e-3, $"ρ with a pattern {a:E4} vs {b:E4}");
        }
    }

    [Fact]
    public void Randomised_batchnorm_denoiser_matches_the_plain_layout_at_odd_sizes_and_batches()
    {
        using var d = DenoiserTests.RandomDenoiser(seed: 11);
        torch.manual_seed(5);
        foreach (var (n, s) in new[] { (1, 16), (3, 40), (2, 33) })
        {
            using var x = torch.rand(n, 3, s, s);
            using var fast = d.PredictNoise(x);
            using var plain = PlainNoise(d, x);
            double maxDiff = fast.sub(plain).abs().max().item<float>();
            double scale = plain.abs().max().item<float>();
            Assert.True(maxDiff <= 1e-5 * Math.Max(1, scale), $"N={n}, S={s}: max |fast − plain| = {maxDiff:E2} (scale {scale:E2})");
        }
    }

    [Fact]
    public void Folded_weights_follow_any_change_to_the_network_weights()
    {
        // The folded conv+BatchNorm weights are cached between calls; edits to weights or running statistics
        // (training, loading) must be seen, never a stale fold.
        using var d = DenoiserTests.RandomDenoiser(seed: 12);
        torch.manual_seed(6);
        using var x = torch.rand(2, 3, 24, 24);
        var state = d.Network.state_dict();
        var edits = new (string Key, Action<Tensor> Edit)[]
        {
            (state.Keys.Last(k => k.EndsWith("weight") && state[k].dim() == 4), t => { using var half = Scalars.Of(0.5); t.mul_(half); }), // a conv weight (the last: output halves)
            (state.Keys.Last(k => k.EndsWith("running_var")), t => { using var half = Scalars.Of(0.5); t.mul_(half); }),                    // BatchNorm running statistics
        };
        foreach (var (key, edit) in edits)
        {
            using var before = d.PredictNoise(x);
            using (var _ = no_grad()) edit(state[key]);
            using var after = d.PredictNoise(x);
            using var plain = PlainNoise(d, x);
            double maxDiff = after.sub(plain).abs().max().item<float>();
            Assert.True(maxDiff <= 1e-5 * Math.Max(1, plain.abs().max().item<float>()), $"{key}: stale fold? max |fast − plain| = {maxDiff:E2}");
            Assert.False(plain.allclose(before, 1e-4, 1e-5), $"editing {key} should change the function");
        }
    }

    [Fact]
    public void A_batch_gives_each_image_the_residual_it_gets_alone()
    {
        using var d = Denoiser.LoadDefault("cpu");
        var images = Directory.GetFiles(RepoPaths.EvaluationPhotos).Order(StringComparer.Ordinal).Take(3)
            .Select(f => ImageLoader.Load(f, new ImageLoadOptions { CropSize = 64 })).ToList();
        var batched = d.ExtractResiduals(images);
        Assert.Equal(3, batched.Length);
        for (int i = 0; i < images.Count; i++)
        {
            var alone = d.ExtractResidual(images[i]);
            double maxDiff = alone.Zip(batched[i], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(maxDiff <= 1e-5, $"image {i}: max |batched − alone| = {maxDiff:E2}");
        }
    }
}

/// <summary>Batched residual extraction from files (used by `dif fit` and the evaluation harness) gives each file
/// the residual it gets alone, in order, and still skips bad files one by one.</summary>
public sealed class BatchedExtractionTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    [Fact]
    public void Files_in_batches_get_the_residuals_they_get_alone_in_order_and_bad_files_are_skipped()
    {
        using var d = Denoiser.LoadDefault("cpu");
        var options = new ImageLoadOptions { CropSize = 32 };
        var paths = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            if (i == 2) { var bad = files.PathOf("02-not-an-image.png"); File.WriteAllText(bad, "not an image"); paths.Add(bad); }
            paths.Add(files.Png($"{i + 10}.png", 40, 36, seed: i + 1));
        }
        paths.Add(files.PathOf("99-missing.png"));
        var skipped = new List<DifImageException>();
        var reports = new List<int>();
        var result = ResidualExtraction.FromFiles(d, paths, options, skipped.Add, new SyncReports(reports), batchSize: 4);

        Assert.Equal(paths.Where(p => !p.Contains("not-an-image") && !p.Contains("missing")), result.Select(r => r.Path));
        Assert.Equal(2, skipped.Count);
        Assert.Equal(paths.Count, reports[^1]);
        Assert.Equal(reports.Order(), reports);
        foreach (var r in result)
        {
            var alone = d.ExtractResidual(ImageLoader.Load(r.Path, options));
            double maxDiff = alone.Zip(r.Residual, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(maxDiff <= 1e-5, $"{Path.GetFileName(r.Path)}: max |batched − alone| = {maxDiff:E2}");
        }
        Assert.Throws<DifImageException>(() => ResidualExtraction.FromFiles(d, paths, options, skipped: null, batchSize: 4));
    }

    private sealed class SyncReports(List<int> into) : IProgress<int>
    {
        public void Report(int value) => into.Add(value);
    }
}
