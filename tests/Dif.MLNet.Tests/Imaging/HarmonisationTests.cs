using Dif.Denoising;
using Dif.Evaluation;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.MLNet;
using Dif.Tests.Denoising;
using Microsoft.ML;
using Microsoft.ML.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Dif.Tests.Imaging;

/// <summary>ImageLoadOptions.Harmonise (jpeg:Q): what it does to the pixels, that fingerprints record it and
/// apply it again, and that caches and ML.NET columns key on it. Real files, the real default denoiser.</summary>
public sealed class HarmonisationTests(ITestOutputHelper output) : IDisposable
{
    private const int Crop = 64;
    private static readonly Harmonisation Q90 = Harmonisation.Jpeg(90);
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private static ImageLoadOptions Plain => new() { CropSize = Crop };
    private static ImageLoadOptions Harmonised => new() { CropSize = Crop, Harmonise = Q90 };
    private static ImageLoadOptions Small(Harmonisation? h) => new() { CropSize = 32, Harmonise = h };

    /// <summary>An independent JPEG q90 (4:2:0) round trip of C×H×W pixels through ImageSharp's own encoder and default decoder.</summary>
    private static float[] RoundTrip(float[] chw, int size)
    {
        using var image = ImageConversions.FromChw(chw, size, size);
        using var buffer = new MemoryStream();
        image.Save(buffer, new JpegEncoder { Quality = 90, ColorType = JpegColorType.YCbCrRatio420 });
        buffer.Position = 0;
        using var decoded = Image.Load<Rgb24>(buffer);
        return ImageLoader.ToChw(decoded, 0, 0, size);
    }

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

    [Fact]
    public void Parse_takes_jpeg_Q_and_nothing_else()
    {
        Assert.Equal(Q90, Harmonisation.Parse("jpeg:90"));
        Assert.Equal("jpeg:7", Harmonisation.Parse(" JPEG:7 ").ToString());
        foreach (var bad in new[] { "jpeg:0", "jpeg:101", "jpeg:", "jpeg:9x", "png", "webp:90", "", "jpeg:-5" })
            Assert.False(Harmonisation.TryParse(bad, out _), bad);
        Assert.Contains("jpeg:Q", Assert.Throws<ArgumentException>(() => Harmonisation.Parse("jpeg90")).Message);
    }

    [Fact]
    public void Both_classes_prepared_pixels_are_exactly_a_jpeg_q90_round_trip_of_the_crop()
    {
        var (real, fake) = PhotoPairs.Write(files, "pair", PhotoPairs.Jpeg(90), PhotoPairs.Png, perClass: 1);
        foreach (var file in new[] { ImageFiles.In(real).Single(), ImageFiles.In(fake).Single() })
        {
            var plain = ImageLoader.Load(file, Plain).Pixels;
            var harmonised = ImageLoader.Load(file, Harmonised);
            Assert.Equal(RoundTrip(plain, Crop), harmonised.Pixels);
            Assert.NotEqual(plain, harmonised.Pixels);
            Assert.Equal((96, 96, Crop), (harmonised.OriginalWidth, harmonised.OriginalHeight, harmonised.Size));
            // The in-memory entry point harmonises the same way, and so does the one for ML.NET's own decoder (SkiaSharp's pixels).
            Assert.Equal(harmonised.Pixels, ImageLoader.Load(File.ReadAllBytes(file), "bytes", Harmonised).Pixels);
            using var ml = MLImage.CreateFromFile(file);
            Assert.Equal(Q90.Apply(ImageLoader.FromMLImage(ml, "ml", Plain)).Pixels, ImageLoader.FromMLImage(ml, "ml", Harmonised).Pixels);
        }
    }

    [Fact]
    public void A_png_and_its_jpeg_q90_twin_give_much_closer_residuals_when_harmonised()
    {
        var (_, fake) = PhotoPairs.Write(files, "twin", PhotoPairs.Jpeg(90), PhotoPairs.Png, perClass: 1);
        var png = ImageFiles.In(fake).Single();
        string twin;
        using (var image = ImageLoader.Decode(png)) twin = files.Save("twin.jpg", image, PhotoPairs.Jpeg(90));
        using var denoiser = Denoiser.LoadDefault("cpu");
        double Gap(ImageLoadOptions o) => Distance(denoiser.ExtractResidual(ImageLoader.Load(png, o)), denoiser.ExtractResidual(ImageLoader.Load(twin, o)));
        double without = Gap(Plain), with = Gap(Harmonised);
        output.WriteLine($"residual gap PNG↔JPEG-q90 twin (L2, crop {Crop}): {without:F4} as stored, {with:F4} harmonised as jpeg:90");
        Assert.True(with < 0.25 * without, $"residual gap PNG↔JPEG twin: {with:F4} harmonised, {without:F4} not");
    }

    [Fact]
    public void A_harmonised_fingerprint_scores_a_png_as_its_pre_harmonised_pixels_and_refuses_another_harmonisation()
    {
        var (_, fake) = PhotoPairs.Write(files, "detect", PhotoPairs.Jpeg(90), PhotoPairs.Png, perClass: 1);
        var png = ImageFiles.In(fake).Single();
        using var denoiser = Denoiser.LoadDefault("cpu");
        var r = new Random(3);
        var pattern = Enumerable.Range(0, 3 * Crop * Crop).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
        var fingerprint = new Fingerprint(pattern, Crop, -0.01, 0.01, new ScoreCalibration(50, ScoreCalibration.HeldOut, 10), denoiser.Identity, harmonisation: Q90);
        var path = files.PathOf("fp.dif.safetensors");
        fingerprint.Save(path);
        var loaded = Fingerprint.Load(path);

        var options = loaded.ImageOptions();
        Assert.Equal((Crop, Q90), (options.CropSize, options.Harmonise));
        var automatic = loaded.Detect(denoiser.ExtractResidual(ImageLoader.Load(png, options)));
        var preHarmonised = Q90.Apply(ImageLoader.Load(png, Plain));
        Assert.Equal(loaded.Detect(denoiser.ExtractResidual(preHarmonised)), automatic);
        Assert.NotEqual(loaded.Detect(denoiser.ExtractResidual(ImageLoader.Load(png, Plain))).Correlation, automatic.Correlation);

        Assert.Equal(Q90, loaded.ImageOptions(Harmonisation.Parse("jpeg:90")).Harmonise); // asking for the same is fine
        var e = Assert.Throws<DifHarmonisationMismatchException>(() => loaded.ImageOptions(Harmonisation.Jpeg(80)));
        Assert.Contains("jpeg:90", e.Message);
        Assert.Contains("jpeg:80", e.Message);
        var unharmonised = loaded.WithHarmonisation(null);
        Assert.Null(unharmonised.ImageOptions().Harmonise);
        Assert.Throws<DifHarmonisationMismatchException>(() => unharmonised.ImageOptions(Q90));
    }

    [Fact]
    public void The_residual_cache_keys_on_the_harmonisation()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var (real, _) = PhotoPairs.Write(files, "cache", PhotoPairs.Png, PhotoPairs.Png, perClass: 2);
        var cache = files.PathOf("cache");
        var plain = EvaluationHarness.Residuals(d, real, 2, Small(null), cacheFolder: cache);
        var harmonised = EvaluationHarness.Residuals(d, real, 2, Small(Q90), cacheFolder: cache);
        Assert.Equal(EvaluationHarness.Residuals(d, real, 2, Small(Q90)), harmonised);
        Assert.NotEqual(plain, harmonised);
        Assert.Equal(2, Directory.GetFiles(cache).Length);
        Assert.Equal(harmonised, EvaluationHarness.Residuals(d, real, 2, Small(Q90), cacheFolder: cache));
    }

    private sealed class LabelledPath
    {
        public string Path { get; set; } = "";
        public bool Label { get; set; }
    }

    [Fact]
    public void Ml_net_residual_columns_carry_the_harmonisation_the_trainer_records_it_and_the_scorer_refuses_another()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var (real, fake) = PhotoPairs.Write(files, "ml", PhotoPairs.Jpeg(90), PhotoPairs.Png, perClass: 4);
        var ml = new MLContext(seed: 1);
        var rows = ImageFiles.In(real).Select(p => new LabelledPath { Path = p }).Concat(ImageFiles.In(fake).Select(p => new LabelledPath { Path = p, Label = true }));
        var data = ml.Data.LoadFromEnumerable(rows.ToList());
        ResidualExtractingEstimator Extract(ImageLoadOptions image) => ml.Transforms.ExtractDifResidual(new ResidualExtractorOptions { InputColumnName = "Path", Image = image, Denoiser = d });
        var trainer = ml.BinaryClassification.Trainers.DifFingerprint(new DifFingerprintTrainerOptions
        {
            Fit = new FingerprintFitOptions { Epochs = 2, MinSteps = 0, BatchSize = 4, Device = "cpu", CalibrationFraction = 0 },
        });
        var model = Extract(Small(Q90)).Append(trainer).Fit(data);
        var fingerprint = model.LastTransformer.Fingerprint;
        Assert.Equal(Q90, fingerprint.Harmonisation);
        Assert.Null(fingerprint.FormatWarnings); // the trainer sees residuals only: the format check needs the files

        Assert.Throws<DifHarmonisationMismatchException>(() => Extract(Small(null)).Append(ml.Transforms.ScoreDifFingerprint(fingerprint)).Fit(data));
        var scored = Extract(fingerprint.ImageOptions()).Append(ml.Transforms.ScoreDifFingerprint(fingerprint)).Fit(data).Transform(data);
        Assert.Equal(model.Transform(data).GetColumn<float>("Score").ToArray(), scored.GetColumn<float>("Score").ToArray());
    }
}
