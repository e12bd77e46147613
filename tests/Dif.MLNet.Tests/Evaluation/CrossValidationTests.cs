using System.Text.Json;
using Dif.Denoising;
using Dif.Evaluation;
using Dif.Fingerprinting;
using Dif.Imaging;

namespace Dif.Tests.Evaluation;

/// <summary>A small labelled set made once for the class: 12 real 64×64 crops of the bundled photos and 12
/// crops carrying the project's periodic trace (a known checkerboard, here ±10 levels: a strong signal), written as PNGs in the evaluation
/// set's layout (real/, fake/periodic/), their residuals under the bundled denoiser, and that denoiser.</summary>
public sealed class CrossValidationSet : IDisposable
{
    public const int Crop = 64;
    public const int PerClass = 12;
    private readonly TestFiles files = new();

    public CrossValidationSet()
    {
        var root = Path.Combine(files.Root, "set");
        EvaluationDataset.Write(RepoPaths.EvaluationPhotos, [new PeriodicTrace(Amplitude: 0.04)], root,
            new DatasetOptions { Size = Crop, TrainCount = PerClass, TestCount = 0, Conditions = [Condition.Png] });
        RealFolder = EvaluationDataset.RealFolder(root, "png", "train");
        // The parent of fake/periodic: cross-validation reads folders recursively.
        FakeFolder = Path.GetDirectoryName(EvaluationDataset.FakeFolder(root, "png", "train", PeriodicTrace.TraceName))!;
        Denoiser = Denoiser.LoadDefault("cpu");
        Real = ResidualExtraction.FromFiles(Denoiser, ImageFiles.In(RealFolder), Options);
        Fake = ResidualExtraction.FromFiles(Denoiser, ImageFiles.Under(FakeFolder), Options);
    }

    public static ImageLoadOptions Options => new() { CropSize = Crop };
    public string Root => files.Root;
    public string RealFolder { get; }
    public string FakeFolder { get; }
    public Denoiser Denoiser { get; }
    public IReadOnlyList<FileResidual> Real { get; }
    public IReadOnlyList<FileResidual> Fake { get; }

    public void Dispose()
    {
        Denoiser.Dispose();
        files.Dispose();
    }
}

public sealed class CrossValidationTests(CrossValidationSet set) : IClassFixture<CrossValidationSet>, IDisposable
{
    private readonly TestFiles scratch = new();
    public void Dispose() => scratch.Dispose();

    /// <summary>A quick fit of ~10 steps per fold: small batches (2 steps an epoch on 16 images), and an EMA and
    /// centre window shorter than the method's (decay 0.99 averages ~100 steps, far more than such a fit makes).</summary>
    private static FingerprintFitOptions QuickFit(int epochs) => new()
    {
        Epochs = epochs, MinSteps = 0, BatchSize = 8, Device = "cpu", CalibrationFraction = 0, EmaDecay = 0.8, LearningRate = 1e-3, CentreWindow = 5,
    };

    /// <summary>A real detector whose every fit and score is logged: what it was trained on and what it scored, per fold.</summary>
    private sealed class Recorded(IResidualDetector inner, List<(List<float[]> Real, List<float[]> Fake, List<float[]> Scored)> log) : IResidualDetector
    {
        public string Name => inner.Name;

        public void Fit(IReadOnlyList<float[]> realResiduals, IReadOnlyList<float[]> fakeResiduals, CancellationToken cancellationToken = default)
        {
            log.Add(([.. realResiduals], [.. fakeResiduals], []));
            inner.Fit(realResiduals, fakeResiduals, cancellationToken);
        }

        public double Score(float[] residual)
        {
            log[^1].Scored.Add(residual);
            return inner.Score(residual);
        }
    }

    private sealed class Collect<T>(List<T> into) : IProgress<T>
    {
        public void Report(T value) => into.Add(value);
    }

    [Fact]
    public void Stratified_folds_are_disjoint_cover_every_image_once_are_near_equal_and_deterministic_for_a_seed()
    {
        var a = StratifiedFolds.Assign(13, 11, 5, seed: 3);
        Assert.Equal(13, a.Real.Count);
        Assert.Equal(11, a.Fake.Count);
        foreach (var classFolds in new[] { a.Real, a.Fake })
        {
            Assert.All(classFolds, f => Assert.InRange(f, 1, 5));
            var sizes = Enumerable.Range(1, 5).Select(f => classFolds.Count(x => x == f)).ToArray();
            Assert.True(sizes.Max() - sizes.Min() <= 1, $"fold sizes {string.Join(",", sizes)}");
        }
        // Every image is tested once: the folds' test sets partition each class.
        var tested = Enumerable.Range(1, 5).SelectMany(f => Enumerable.Range(0, 13).Where(i => a.Real[i] == f)).ToList();
        Assert.Equal(Enumerable.Range(0, 13), tested.Order());

        Assert.Equal(a.Real, StratifiedFolds.Assign(13, 11, 5, seed: 3).Real);
        Assert.Equal(a.Fake, StratifiedFolds.Assign(13, 11, 5, seed: 3).Fake);
        Assert.NotEqual(a.Real, StratifiedFolds.Assign(13, 11, 5, seed: 4).Real);
        // Shuffled, not dealt in input order.
        Assert.NotEqual(Enumerable.Range(0, 13).Select(i => i % 5 + 1), a.Real);
    }

    [Fact]
    public void Every_detector_is_fitted_and_scored_on_identical_folds_and_each_image_is_tested_once()
    {
        var difLog = new List<(List<float[]> Real, List<float[]> Fake, List<float[]> Scored)>();
        var baselineLog = new List<(List<float[]> Real, List<float[]> Fake, List<float[]> Scored)>();
        var progress = new List<CrossValidationProgress>();
        var report = CrossValidation.Run(set.Real, set.Fake, new CrossValidationOptions { Folds = 3, Seed = 7 },
            [() => new Recorded(new DifFingerprintDetector(QuickFit(1)), difLog), () => new Recorded(new ResidualAveragingDetector(), baselineLog)],
            new Collect<CrossValidationProgress>(progress));

        var all = set.Real.Concat(set.Fake).Select(r => r.Residual).ToList();
        Assert.Equal(3, difLog.Count);
        Assert.Equal(3, baselineLog.Count);
        for (int f = 0; f < 3; f++)
        {
            // Identical folds: the very same residuals, in the same order, for both detectors.
            Assert.True(difLog[f].Real.SequenceEqual(baselineLog[f].Real, ReferenceEqualityComparer.Instance));
            Assert.True(difLog[f].Fake.SequenceEqual(baselineLog[f].Fake, ReferenceEqualityComparer.Instance));
            Assert.True(difLog[f].Scored.SequenceEqual(baselineLog[f].Scored, ReferenceEqualityComparer.Instance));
            // Held-out: nothing scored was trained on, and training + test is the whole set.
            var train = difLog[f].Real.Concat(difLog[f].Fake).ToHashSet(ReferenceEqualityComparer.Instance);
            Assert.DoesNotContain(difLog[f].Scored, r => train.Contains(r));
            Assert.Equal(all.Count, train.Count + difLog[f].Scored.Count);
            Assert.Equal(4, difLog[f].Scored.Count(r => set.Real.Any(x => ReferenceEquals(x.Residual, r))));
        }
        // Each image is scored exactly once over the folds.
        var scored = difLog.SelectMany(l => l.Scored).ToList();
        Assert.Equal(all.Count, scored.Count);
        Assert.Equal(all.Count, scored.ToHashSet(ReferenceEqualityComparer.Instance).Count);

        // The report says the same: one entry per image, with the fold that scored it.
        Assert.Equal(all.Count, report.Images.Count);
        for (int f = 1; f <= 3; f++)
        {
            var paths = report.Images.Where(i => i.Fold == f).Select(i => i.Path).ToHashSet();
            var inLog = difLog[f - 1].Scored.Select(r => set.Real.Concat(set.Fake).Single(x => ReferenceEquals(x.Residual, r)).Path).ToHashSet();
            Assert.Equal(inLog, paths);
        }
        Assert.Equal(["Dif fingerprint", "residual averaging"], report.Results.Select(r => r.Detector));
        Assert.All(report.Results, r => Assert.Equal([1, 2, 3], r.Folds.Select(f => f.Fold)));
        Assert.Equal(6, progress.Count(p => p.Stage == CrossValidationStage.Fitting));
        Assert.Equal("fold 2/3: residual averaging", progress[3].ToString());
    }

    [Fact]
    public void Too_few_images_for_the_folds_or_fewer_than_two_folds_are_refused_naming_the_problem()
    {
        var fewFakes = Directory.CreateDirectory(scratch.PathOf("few")).FullName;
        foreach (var f in set.Fake.Take(2)) File.Copy(f.Path, Path.Combine(fewFakes, Path.GetFileName(f.Path)));
        DifException e = Assert.Throws<DifTooFewImagesException>(() => CrossValidation.Run(set.Denoiser, [set.RealFolder], [fewFakes],
            new CrossValidationOptions { Folds = 3, ImageOptions = CrossValidationSet.Options }));
        Assert.Contains("2 generated image(s) found", e.Message);
        Assert.Contains("3-fold", e.Message);
        Assert.DoesNotContain("real image(s)", e.Message);

        // A bad file does not count: 3 files, 2 usable images, for 3 folds.
        File.WriteAllText(Path.Combine(fewFakes, "notes.txt"), "not an image");
        var skipped = new List<DifImageException>();
        e = Assert.Throws<DifTooFewImagesException>(() => CrossValidation.Run(set.Denoiser, [set.RealFolder], [fewFakes],
            new CrossValidationOptions { Folds = 3, ImageOptions = CrossValidationSet.Options }, skipped: skipped.Add));
        Assert.Contains("2 generated image(s) usable", e.Message);
        Assert.EndsWith("notes.txt", Assert.Single(skipped).FilePath);

        e = Assert.Throws<DifTooFewImagesException>(() => CrossValidation.Run(set.Real.Take(2).ToList(), set.Fake, new CrossValidationOptions { Folds = 3 }));
        Assert.Contains("2 real image(s)", e.Message);
        Assert.Contains("use at most 2 folds", e.Message);

        e = Assert.Throws<DifException>(() => CrossValidation.Run(set.Real, set.Fake, new CrossValidationOptions { Folds = 1 }));
        Assert.Contains("at least 2 folds", e.Message);
    }

    [Fact]
    public void Cross_validated_accuracy_is_high_where_the_signal_is_strong()
    {
        var progress = new List<CrossValidationProgress>();
        var report = CrossValidation.Run(set.Denoiser, [set.RealFolder], [set.FakeFolder],
            new CrossValidationOptions { Folds = 3, Seed = 1, ImageOptions = CrossValidationSet.Options, FitOptions = QuickFit(5) },
            progress: new Collect<CrossValidationProgress>(progress));

        Assert.Equal((12, 12), (report.Real, report.Fake)); // fake/ was read recursively (fake/periodic/*.png)
        Assert.Empty(report.Skipped);
        Assert.Equal(2, report.Results.Count);
        foreach (var r in report.Results)
        {
            Assert.All(r.Folds, f => Assert.Equal((8, 8, 4, 4), (f.TrainReal, f.TrainFake, f.TestReal, f.TestFake)));
            Assert.True(r.PooledAuc >= 0.95, $"{r.Detector}: pooled AUC {r.PooledAuc}");
            Assert.True(r.MeanBalancedAccuracy >= 0.9, $"{r.Detector}: mean balanced accuracy {r.MeanBalancedAccuracy}");
            Assert.True(r.PooledBalancedAccuracy >= 0.9, $"{r.Detector}: pooled balanced accuracy {r.PooledBalancedAccuracy}");
            Assert.Equal(r.Folds.Sum(f => f.Confusion.TruePositives), r.PooledConfusion.TruePositives);
        }
        Assert.Contains(progress, p => p.Stage == CrossValidationStage.Residuals && p.Done == 24 && p.Total == 24);
        Assert.Equal(6, progress.Count(p => p.Stage == CrossValidationStage.Fitting));

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(3, json.RootElement.GetProperty("folds").GetInt32());
        Assert.Equal(24, json.RootElement.GetProperty("images").GetArrayLength());
        Assert.Equal(3, json.RootElement.GetProperty("results")[0].GetProperty("folds").GetArrayLength());
        var markdown = report.ToMarkdown();
        Assert.Contains("| Dif fingerprint |", markdown);
        Assert.Contains("±", markdown);
    }

    [Fact]
    public void Cancelling_stops_between_folds()
    {
        var log = new List<(List<float[]> Real, List<float[]> Fake, List<float[]> Scored)>();
        using var cts = new CancellationTokenSource();
        var progress = new Collect<CrossValidationProgress>([]);
        var cancelAtFold2 = new CancelAt(cts, 2);
        Assert.ThrowsAny<OperationCanceledException>(() => CrossValidation.Run(set.Real, set.Fake, new CrossValidationOptions { Folds = 4 },
            [() => new Recorded(new ResidualAveragingDetector(), log)], cancelAtFold2, cts.Token));
        Assert.Equal(2, log.Count); // fold 2 was under way when cancelled; fold 3 never started
    }

    private sealed class CancelAt(CancellationTokenSource cts, int fold) : IProgress<CrossValidationProgress>
    {
        public void Report(CrossValidationProgress value) { if (value.Fold == fold) cts.Cancel(); }
    }

    [Fact]
    public void A_cached_run_reads_residuals_back_and_reports_the_same_skipped_files()
    {
        var fakes = Directory.CreateDirectory(scratch.PathOf("fakes")).FullName;
        foreach (var f in set.Fake.Take(5)) File.Copy(f.Path, Path.Combine(fakes, Path.GetFileName(f.Path)));
        File.WriteAllBytes(Path.Combine(fakes, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var options = new CrossValidationOptions { Folds = 5, ImageOptions = CrossValidationSet.Options, CacheFolder = scratch.PathOf("cache") };
        IReadOnlyList<Func<IResidualDetector>> baseline = [() => new ResidualAveragingDetector()];
        var firstSkips = new List<DifImageException>();
        var first = CrossValidation.Run(set.Denoiser, [set.RealFolder], [fakes], options, baseline, skipped: firstSkips.Add);
        var cacheFiles = Directory.GetFiles(options.CacheFolder).Order().ToArray();
        Assert.Equal(2, cacheFiles.Length);
        var stamps = cacheFiles.Select(File.GetLastWriteTimeUtc).ToArray();

        var secondSkips = new List<DifImageException>();
        var second = CrossValidation.Run(set.Denoiser, [set.RealFolder], [fakes], options, baseline, skipped: secondSkips.Add);
        Assert.Equal(stamps, Directory.GetFiles(options.CacheFolder).Order().Select(File.GetLastWriteTimeUtc));
        Assert.Equal(first.ToJson(), second.ToJson());
        Assert.Equal((12, 5), (second.Real, second.Fake));
        Assert.EndsWith("broken.png", Assert.Single(second.Skipped).Path);
        Assert.Equal(firstSkips.Select(e => e.Message), secondSkips.Select(e => e.Message));
    }
}
