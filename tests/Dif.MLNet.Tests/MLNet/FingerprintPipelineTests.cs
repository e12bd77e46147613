using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.MLNet;
using Dif.Tests.Denoising;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dif.Tests.MLNet;

public sealed class FingerprintPipelineTests
{
    private const int Size = 16;

    private sealed class ResidualRow
    {
        public bool Label { get; set; }

        [VectorType(3, Size, Size)]
        public float[] Residual { get; set; } = [];
    }

    private sealed class Prediction
    {
        public bool PredictedLabel { get; set; }
        public float Score { get; set; }
        public float Probability { get; set; }
        public float Correlation { get; set; }
        public string Verdict { get; set; } = "";
    }

    /// <summary>Labelled residual rows where every generated residual carries the same faint pattern.</summary>
    private static List<ResidualRow> Rows(int perClass, int seed)
    {
        var pattern = Noise(new Random(99));
        var r = new Random(seed);
        var rows = new List<ResidualRow>();
        for (int i = 0; i < perClass; i++)
        {
            rows.Add(new ResidualRow { Label = false, Residual = Noise(r) });
            rows.Add(new ResidualRow { Label = true, Residual = Noise(r).Zip(pattern, (e, p) => e + 0.5f * p).ToArray() });
        }
        return rows;
    }

    private static float[] Noise(Random r) => Enumerable.Range(0, 3 * Size * Size).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    private static DifFingerprintTrainerOptions Options() => new()
    {
        Fit = new FingerprintFitOptions { Epochs = 40, MinSteps = 0, BatchSize = 16, Device = "cpu", CentreWindow = 10, Margin = 0.2 },
        Name = "patterned",
    };

    [Fact]
    public void The_trainer_fits_transforms_evaluates_and_predicts()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Rows(24, seed: 1));
        var test = ml.Data.LoadFromEnumerable(Rows(40, seed: 2));
        var model = ml.BinaryClassification.Trainers.DifFingerprint(Options()).Fit(train);
        Assert.Equal("patterned", model.Fingerprint.Name);

        var scored = model.Transform(test);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        Assert.True(metrics.AreaUnderRocCurve > 0.95, $"AUC {metrics.AreaUnderRocCurve}");
        Assert.True(metrics.Accuracy > 0.85, $"accuracy {metrics.Accuracy}");
        Assert.Equal(metrics.AreaUnderRocCurve, ml.BinaryClassification.EvaluateNonCalibrated(scored).AreaUnderRocCurve, 9);

        var engine = ml.Model.CreatePredictionEngine<ResidualRow, Prediction>(model);
        var row = Rows(1, seed: 3)[1];
        var p = engine.Predict(row);
        var direct = model.Fingerprint.Detect(row.Residual);
        Assert.Equal((float)direct.Score, p.Score);
        Assert.Equal((float)direct.Probability, p.Probability);
        Assert.Equal((float)direct.Correlation, p.Correlation);
        Assert.Equal(direct.IsGenerated, p.PredictedLabel);
        Assert.Equal(direct.Verdict.ToString(), p.Verdict);
    }

    [Fact]
    public void A_saved_fingerprint_rebuilds_a_scorer_that_gives_the_same_scores()
    {
        using var dir = new TestFiles();
        var ml = new MLContext(seed: 1);
        var options = Options();
        options.Fit.Epochs = 3;
        options.Fit.MinSteps = 0;
        var model = ml.BinaryClassification.Trainers.DifFingerprint(options).Fit(ml.Data.LoadFromEnumerable(Rows(8, seed: 1)));
        var path = dir.PathOf("patterned.dif.safetensors");
        model.Fingerprint.Save(path);

        var test = ml.Data.LoadFromEnumerable(Rows(4, seed: 2));
        var reloaded = ml.Transforms.ScoreDifFingerprint(Fingerprint.Load(path)).Fit(test);
        var a = model.Transform(test).GetColumn<float>("Score").ToArray();
        var b = reloaded.Transform(test).GetColumn<float>("Score").ToArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void Model_Save_on_a_fingerprint_pipeline_says_what_to_do_instead()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(4, seed: 1));
        var options = Options();
        options.Fit.Epochs = 1;
        options.Fit.MinSteps = 0;
        var model = ml.BinaryClassification.Trainers.DifFingerprint(options).Fit(data);
        var e = Assert.Throws<NotSupportedException>(() => ml.Model.Save(model, data.Schema, new MemoryStream()));
        Assert.Contains("Fingerprint.Save", e.Message);
        Assert.Contains("ScoreDifFingerprint", e.Message);
    }

    [Fact]
    public void A_label_that_is_not_boolean_is_a_clear_error()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(2, seed: 1).Select(r => new { Label = r.Label ? 1f : 0f, r.Residual }));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.DifFingerprint().Fit(data));
        Assert.Contains("Boolean", e.Message);
    }

    [Fact]
    public void From_image_files_the_fingerprint_records_the_denoiser_and_refuses_residuals_of_another()
    {
        using var files = new TestFiles();
        using var denoiser = DenoiserTests.RandomDenoiser(seed: 7);
        using var other = DenoiserTests.RandomDenoiser(seed: 8);
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 4).Select(i => new { Path = files.Png($"{i}.png", 40, 40, seed: i), Label = i % 2 == 1 }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        ResidualExtractorOptions Extract(Dif.Denoising.Denoiser d) => new() { InputColumnName = "Path", Image = new ImageLoadOptions { CropSize = 16 }, Denoiser = d };
        var options = Options();
        options.Fit.Epochs = 1;
        options.Fit.MinSteps = 0;
        var model = ml.Transforms.ExtractDifResidual(Extract(denoiser))
            .Append(ml.BinaryClassification.Trainers.DifFingerprint(options))
            .Fit(data);
        var fingerprint = model.LastTransformer.Fingerprint;
        Assert.Equal(denoiser.Identity, fingerprint.DenoiserIdentity);
        Assert.Equal(4, model.Transform(data).GetColumn<float>("Probability").Count());

        var otherResiduals = ml.Transforms.ExtractDifResidual(Extract(other)).Fit(data).Transform(data);
        Assert.Throws<DifDenoiserMismatchException>(() => ml.Transforms.ScoreDifFingerprint(fingerprint).Fit(otherResiduals));
    }
}
