using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.MLNet;
using Dif.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dif.Tests.Reliability;

/// <summary>The matrix cases that need more than a file: an unreadable file, NaN/Inf in a residual, and a
/// training set with no generated image.</summary>
// Unreadable files are made with Unix file modes.
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FaultyInputTests : IDisposable
{
    private readonly TestFiles files = new();
    private static readonly ImageLoadOptions Options = new() { CropSize = 32 };

    public void Dispose() => files.Dispose();

    private sealed class LabelledPath
    {
        public string Path { get; set; } = "";
        public bool Label { get; set; }
    }

    private string Unreadable()
    {
        var path = files.Png("no-permission.png", 40, 40);
        File.SetUnixFileMode(path, UnixFileMode.None);
        return path;
    }

    [Fact]
    public void Api_refuses_an_unreadable_file_naming_it_and_saying_permission_denied()
    {
        var path = Unreadable();
        using var _ = FileAccessOverride.DropOnThisThread();
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(path, Options));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("permission denied", e.Message);
    }

    [Fact]
    public void Api_batch_skips_an_unreadable_file_and_extracts_the_rest()
    {
        var good = files.Png("good.png", 40, 40, seed: 2);
        var path = Unreadable();
        using var denoiser = Denoiser.LoadDefault("cpu");
        var skipped = new List<DifImageException>();
        using var _ = FileAccessOverride.DropOnThisThread();
        var residuals = ResidualExtraction.FromFiles(denoiser, [path, good], Options, skipped.Add);
        Assert.Equal([good], residuals.Select(r => r.Path));
        Assert.Equal([path], skipped.Select(e => e.FilePath));
    }

    [Fact]
    public void MLNet_transformer_refuses_an_unreadable_file_naming_it()
    {
        var path = Unreadable();
        using var denoiser = Denoiser.LoadDefault("cpu");
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new PathRow { Path = path }]);
        var output = ml.Transforms.ExtractDifResidual(new ResidualExtractorOptions { InputColumnName = "Path", Image = Options, Denoiser = denoiser }).Fit(data).Transform(data);
        using var _ = FileAccessOverride.DropOnThisThread();
        var e = Assert.Throws<DifImageException>(() => ml.Data.CreateEnumerable<ResidualRow>(output, false).ToList());
        Assert.StartsWith(path, e.Message);
        Assert.Contains("permission denied", e.Message);
    }

    /// <summary>A real denoiser file whose convolution weights are scaled by 1e12: finite, so it loads, but its
    /// activations overflow float32 within a few layers and its residuals come out NaN/infinite.</summary>
    private string OverflowingDenoiser()
    {
        var path = files.PathOf("overflowing.safetensors");
        using (var d = Denoiser.CreateUntrained(seed: 3, device: "cpu")) d.Save(path);
        var (tensors, meta) = SafeTensors.Read(path);
        var scaled = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Shape.Length == 4
            ? SafeTensor.FromFloats(kv.Value.ToFloats().Select(v => v * 1e12f).ToArray(), kv.Value.Shape) : kv.Value);
        meta["content_sha256"] = ModuleWeights.ContentHash(scaled);
        SafeTensors.Write(path, scaled, meta);
        return path;
    }

    [Fact]
    public void Api_refuses_a_residual_with_nan_or_infinity_naming_the_image()
    {
        using var denoiser = Denoiser.Load(OverflowingDenoiser(), "cpu");
        var image = files.Png("photo.png", 40, 40);
        var e = Assert.Throws<DifImageException>(() => denoiser.ExtractResidual(ImageLoader.Load(image, Options)));
        Assert.StartsWith(image, e.Message);
        Assert.Contains("non-finite", e.Message);
    }

    [Fact]
    public void Api_batch_skips_images_whose_residual_is_not_finite_and_reports_each()
    {
        using var denoiser = Denoiser.Load(OverflowingDenoiser(), "cpu");
        var images = Enumerable.Range(0, 3).Select(i => files.Png($"p{i}.png", 40, 40, seed: i)).ToList();
        var skipped = new List<DifImageException>();
        var residuals = ResidualExtraction.FromFiles(denoiser, images, Options, skipped.Add, batchSize: 2);
        Assert.Empty(residuals);
        Assert.Equal(images, skipped.Select(e => e.FilePath));
    }

    [Fact]
    public void MLNet_transformer_refuses_a_residual_with_nan_or_infinity_naming_the_image()
    {
        using var denoiser = Denoiser.Load(OverflowingDenoiser(), "cpu");
        var image = files.Png("photo.png", 40, 40);
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new PathRow { Path = image }]);
        var output = ml.Transforms.ExtractDifResidual(new ResidualExtractorOptions { InputColumnName = "Path", Image = Options, Denoiser = denoiser }).Fit(data).Transform(data);
        var e = Assert.Throws<DifImageException>(() => ml.Data.CreateEnumerable<ResidualRow>(output, false).ToList());
        Assert.StartsWith(image, e.Message);
        Assert.Contains("non-finite", e.Message);
    }

    private static Fingerprint SmallFingerprint()
    {
        var r = new Random(1);
        var pattern = Enumerable.Range(0, 3 * 16 * 16).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
        return new Fingerprint(pattern, 16, 0.01, 0.05, new ScoreCalibration(100, ScoreCalibration.Training, 4));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Scoring_a_residual_with_nan_or_infinity_is_a_clear_error_not_a_silent_verdict(float bad)
    {
        var residual = new float[3 * 16 * 16];
        residual[5] = bad;
        var e = Assert.Throws<DifException>(() => SmallFingerprint().Detect(residual));
        Assert.Contains("non-finite", e.Message);
        Assert.Contains("index 5", e.Message);
    }

    [Fact]
    public void Fitting_on_a_residual_with_nan_is_refused_before_any_step()
    {
        var real = Enumerable.Range(0, 4).Select(_ => new float[3 * 16 * 16]).ToList();
        var fake = Enumerable.Range(0, 4).Select(_ => Enumerable.Repeat(0.5f, 3 * 16 * 16).ToArray()).ToList();
        fake[2][7] = float.NaN;
        var e = Assert.Throws<DifException>(() => new FingerprintFitter(new FingerprintFitOptions { Epochs = 1, MinSteps = 0, BatchSize = 4, Device = "cpu" }).Fit(real, fake, 16));
        Assert.Contains("Residual 2 of the generated images", e.Message);
    }

    [Fact]
    public void MLNet_trainer_refuses_one_real_and_no_generated_image_clearly()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new LabelledPath { Path = files.Png("real.png", 40, 40), Label = false }]);
        var pipeline = ml.Transforms.ExtractDifResidual(new ResidualExtractorOptions { InputColumnName = "Path", Image = Options })
            .Append(ml.BinaryClassification.Trainers.DifFingerprint(new DifFingerprintTrainerOptions { Fit = new FingerprintFitOptions { Epochs = 1, MinSteps = 0, Device = "cpu" } }));
        var e = Assert.Throws<DifException>(() => pipeline.Fit(data));
        Assert.Contains("1 real, 0 generated", e.Message);
    }
}
