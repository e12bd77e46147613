using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Persistence;
using Dif.Training;

namespace Dif.Evaluation;

/// <summary>What a cross-validation is doing.</summary>
public enum CrossValidationStage
{
    /// <summary>Extracting residuals (once per image); <see cref="CrossValidationProgress.Done"/> of <see cref="CrossValidationProgress.Total"/> images.</summary>
    Residuals,
    /// <summary>Fitting a detector on the other folds and scoring one fold; <see cref="CrossValidationProgress.Done"/> of <see cref="CrossValidationProgress.Total"/> fits are finished.</summary>
    Fitting,
}

/// <summary>Progress of a cross-validation: reported as residual extraction goes on, then before each
/// detector is fitted on a fold.</summary>
/// <param name="Stage">Residual extraction or fitting.</param>
/// <param name="Fold">The fold being tested, 1 to <paramref name="Folds"/> (0 while extracting residuals).</param>
/// <param name="Folds">K.</param>
/// <param name="Detector">The detector being fitted (null while extracting residuals).</param>
/// <param name="Done">Images extracted, or fits finished.</param>
/// <param name="Total">Images to extract, or fits to do (K × detectors).</param>
public sealed record CrossValidationProgress(CrossValidationStage Stage, int Fold, int Folds, string? Detector, int Done, int Total)
{
    /// <inheritdoc />
    public override string ToString() => Stage == CrossValidationStage.Residuals
        ? $"residuals: {Done} of {Total} images"
        : $"fold {Fold}/{Folds}: {Detector}";
}

/// <summary>Which fold tests each image (1 to K), per class: each class is shuffled with the seed and dealt
/// round-robin into K folds, so a class's folds differ in size by at most one and every image is in exactly one.</summary>
/// <param name="Folds">K.</param>
/// <param name="Real">The fold of each real image, in input order.</param>
/// <param name="Fake">The fold of each generated image, in input order.</param>
public sealed record StratifiedFolds(int Folds, IReadOnlyList<int> Real, IReadOnlyList<int> Fake)
{
    /// <summary>Assigns <paramref name="realCount"/> real and <paramref name="fakeCount"/> generated images to
    /// <paramref name="folds"/> folds. The same counts, K and seed always give the same folds.</summary>
    public static StratifiedFolds Assign(int realCount, int fakeCount, int folds, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(realCount);
        ArgumentOutOfRangeException.ThrowIfNegative(fakeCount);
        // The generated images continue the real ones' round-robin, so that the folds' total sizes are near-equal too.
        return new StratifiedFolds(folds, Deal(realCount, folds, StepSeeds.Of(seed, 0, 17), 0), Deal(fakeCount, folds, StepSeeds.Of(seed, 1, 17), realCount));
    }

    private static int[] Deal(int count, int folds, int seed, int offset)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var random = new Random(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var fold = new int[count];
        for (int p = 0; p < count; p++) fold[order[p]] = (offset + p) % folds + 1;
        return fold;
    }
}

/// <summary>One detector on one fold: fitted on the other folds, scored on this one.</summary>
/// <param name="Fold">The fold, 1 to K.</param>
/// <param name="TrainReal">Real images it was fitted on.</param>
/// <param name="TrainFake">Generated images it was fitted on.</param>
/// <param name="TestReal">Real images of this fold.</param>
/// <param name="TestFake">Generated images of this fold.</param>
/// <param name="Confusion">Decisions on this fold at score 0.</param>
/// <param name="Auc">Area under the ROC curve on this fold.</param>
public sealed record CrossValidationFold(int Fold, int TrainReal, int TrainFake, int TestReal, int TestFake, Confusion Confusion, double Auc)
{
    /// <summary>Balanced accuracy on this fold.</summary>
    public double BalancedAccuracy => Confusion.BalancedAccuracy;
}

/// <summary>One detector's cross-validated result.</summary>
/// <param name="Detector">Detector name.</param>
/// <param name="Folds">Its result on each fold.</param>
/// <param name="PooledConfusion">Decisions on every image, each made by the detector fitted without its fold.</param>
/// <param name="PooledAuc">AUC of all held-out scores of all folds together (out-of-fold AUC). It compares scores of
/// detectors fitted on different folds, so a boundary that moves from fold to fold lowers it.</param>
public sealed record CrossValidationResult(string Detector, IReadOnlyList<CrossValidationFold> Folds, Confusion PooledConfusion, double PooledAuc)
{
    /// <summary>Mean of the per-fold balanced accuracies.</summary>
    public double MeanBalancedAccuracy => Folds.Average(f => f.BalancedAccuracy);
    /// <summary>Sample standard deviation (n − 1) of the per-fold balanced accuracies.</summary>
    public double SdBalancedAccuracy => SampleStandardDeviation(Folds.Select(f => f.BalancedAccuracy).ToList());
    /// <summary>Mean of the per-fold AUCs.</summary>
    public double MeanAuc => Folds.Average(f => f.Auc);
    /// <summary>Sample standard deviation (n − 1) of the per-fold AUCs.</summary>
    public double SdAuc => SampleStandardDeviation(Folds.Select(f => f.Auc).ToList());
    /// <summary>Balanced accuracy of the pooled out-of-fold decisions.</summary>
    public double PooledBalancedAccuracy => PooledConfusion.BalancedAccuracy;

    /// <summary>The sample standard deviation (divisor n − 1); NaN for fewer than two values.</summary>
    public static double SampleStandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return double.NaN;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}

/// <summary>One image of a cross-validation: its fold and its out-of-fold score under each detector.</summary>
/// <param name="Path">The file.</param>
/// <param name="Generated">True for a generated image.</param>
/// <param name="Fold">The fold that tested it, 1 to K.</param>
/// <param name="Scores">Its score under each detector (in the order of <see cref="CrossValidationReport.Results"/>),
/// each from the detector fitted without its fold.</param>
public sealed record CrossValidationImage(string Path, bool Generated, int Fold, IReadOnlyList<double> Scores);

/// <summary>An input file that could not be used.</summary>
/// <param name="Path">The file.</param>
/// <param name="Reason">Why (without the path).</param>
public sealed record SkippedImage(string Path, string Reason);

/// <summary>The result of a cross-validation: every detector on identical stratified folds.</summary>
/// <param name="Folds">K.</param>
/// <param name="Seed">Seed of the fold assignment.</param>
/// <param name="Real">Real images used.</param>
/// <param name="Fake">Generated images used.</param>
/// <param name="Results">One entry per detector.</param>
/// <param name="Images">Every image used, with its fold and out-of-fold scores.</param>
/// <param name="Skipped">Input files that could not be used.</param>
public sealed record CrossValidationReport(int Folds, int Seed, int Real, int Fake, IReadOnlyList<CrossValidationResult> Results,
                                           IReadOnlyList<CrossValidationImage> Images, IReadOnlyList<SkippedImage> Skipped)
{
    /// <summary>The report as Markdown: a summary table (mean ± sample sd over folds, pooled out-of-fold), the per-fold table and the skipped files.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        void Line(FormattableString text) => sb.AppendLine(text.ToString(CultureInfo.InvariantCulture));
        Line($"### Cross-validation: {Folds} folds, seed {Seed}");
        sb.AppendLine();
        Line($"Images: {Real} real, {Fake} generated{(Skipped.Count > 0 ? $"; {Skipped.Count} skipped (listed below)" : "")}. Each image is scored once, by detectors fitted on the other {Folds - 1} folds; mean ± sample standard deviation over the {Folds} folds, and pooled over every out-of-fold score.");
        sb.AppendLine();
        sb.AppendLine("| detector | balanced acc. (mean ± sd) | AUC (mean ± sd) | pooled balanced acc. | pooled AUC |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var r in Results)
            Line($"| {r.Detector} | {100 * r.MeanBalancedAccuracy:F1}% ± {100 * r.SdBalancedAccuracy:F1}% | {r.MeanAuc:F3} ± {r.SdAuc:F3} | {100 * r.PooledBalancedAccuracy:F1}% | {r.PooledAuc:F3} |");
        sb.AppendLine();
        sb.AppendLine("| detector | fold | train real + generated | test real + generated | balanced acc. | AUC | TP | FN | TN | FP |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in Results)
            foreach (var f in r.Folds)
            {
                var c = f.Confusion;
                Line($"| {r.Detector} | {f.Fold} | {f.TrainReal} + {f.TrainFake} | {f.TestReal} + {f.TestFake} | {100 * f.BalancedAccuracy:F1}% | {f.Auc:F3} | {c.TruePositives} | {c.FalseNegatives} | {c.TrueNegatives} | {c.FalsePositives} |");
            }
        if (Skipped.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Skipped:");
            sb.AppendLine();
            foreach (var s in Skipped) Line($"- `{s.Path}`: {s.Reason}");
        }
        return sb.ToString();
    }

    /// <summary>The report as indented JSON (snake_case names, as the harness's reports).</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        folds = Folds, seed = Seed, real = Real, fake = Fake,
        results = Results.Select(r => new
        {
            detector = r.Detector,
            mean_balanced_accuracy = r.MeanBalancedAccuracy, sd_balanced_accuracy = r.SdBalancedAccuracy,
            mean_auc = r.MeanAuc, sd_auc = r.SdAuc,
            pooled_balanced_accuracy = r.PooledBalancedAccuracy, pooled_auc = r.PooledAuc,
            pooled_confusion = Json(r.PooledConfusion),
            folds = r.Folds.Select(f => new
            {
                fold = f.Fold, train_real = f.TrainReal, train_fake = f.TrainFake, test_real = f.TestReal, test_fake = f.TestFake,
                balanced_accuracy = f.BalancedAccuracy, auc = f.Auc, confusion = Json(f.Confusion),
            }),
        }),
        images = Images.Select(i => new
        {
            path = i.Path, generated = i.Generated, fold = i.Fold,
            scores = Results.Select((r, d) => (r.Detector, Score: i.Scores[d])).ToDictionary(x => x.Detector, x => x.Score),
        }),
        skipped = Skipped.Select(s => new { path = s.Path, reason = s.Reason }),
    }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals });

    private static object Json(Confusion c) => new { tp = c.TruePositives, fn = c.FalseNegatives, tn = c.TrueNegatives, fp = c.FalsePositives };
}

/// <summary>A class has fewer (usable) images than a cross-validation has folds: some fold could not test it.</summary>
public sealed class DifTooFewImagesException(string message) : DifException(message);

/// <summary>Stratified K-fold cross-validation of detectors on a user's own labelled images: residuals are
/// extracted once per image, each class is split into K near-equal folds after a seeded shuffle
/// (<see cref="StratifiedFolds"/>), and for each fold every detector is fitted on the other K−1 folds and scores the
/// held-out one, so every image is tested exactly once and all detectors see identical folds.</summary>
public static class CrossValidation
{
    /// <summary>Dif's fingerprint (fitted with <paramref name="fit"/>; null: the fitter's defaults without a calibration
    /// hold-out) and the residual-averaging baseline: the detectors a cross-validation compares by default.</summary>
    public static IReadOnlyList<Func<IResidualDetector>> Detectors(FingerprintFitOptions? fit = null, IProgress<FingerprintFitProgress>? fitProgress = null)
    {
        fit ??= new CrossValidationOptions().EffectiveFitOptions;
        return [() => new DifFingerprintDetector(fit, fitProgress), () => new ResidualAveragingDetector()];
    }

    /// <summary>Cross-validates on image files. <paramref name="real"/> and <paramref name="fake"/> are files or
    /// folders (a folder stands for every file in it and below it, <see cref="ImageFiles.Under"/>; the format is
    /// decided by content). Files that cannot be used are passed to <paramref name="skipped"/> (when given), listed in
    /// the report and left out.</summary>
    /// <param name="denoiser">The denoiser whose residuals the detectors see.</param>
    /// <param name="real">Real images: files or folders.</param>
    /// <param name="fake">Generated images of the model: files or folders.</param>
    /// <param name="options">Folds, seed, crop size, fit options, cache folder (null: the defaults).</param>
    /// <param name="detectors">Detector factories (null: <see cref="Detectors"/> with <see cref="CrossValidationOptions.FitOptions"/>).</param>
    /// <param name="progress">Residual extraction, then each fold and detector.</param>
    /// <param name="skipped">Called for each file that cannot be used.</param>
    /// <param name="cancellationToken">Checked between images, folds and epochs.</param>
    /// <exception cref="DifException">Fewer than 2 folds, or a file given as both real and generated.</exception>
    /// <exception cref="DifTooFewImagesException">A class with fewer images (found, then usable) than folds.</exception>
    public static CrossValidationReport Run(Denoiser denoiser, IEnumerable<string> real, IEnumerable<string> fake, CrossValidationOptions? options = null,
                                            IReadOnlyList<Func<IResidualDetector>>? detectors = null, IProgress<CrossValidationProgress>? progress = null,
                                            Action<DifImageException>? skipped = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        options ??= new CrossValidationOptions();
        options.Validate();
        var realFiles = ImageFiles.UnderAll(real).ToList();
        var fakeFiles = ImageFiles.UnderAll(fake).ToList();
        var comparer = OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var realSet = realFiles.Select(Path.GetFullPath).ToHashSet(comparer);
        if (fakeFiles.FirstOrDefault(f => realSet.Contains(Path.GetFullPath(f))) is { } both)
            throw new DifException($"{both}: is among both the real and the generated images; each image must have one label.");
        CheckCounts(realFiles.Count, fakeFiles.Count, options.Folds, "found");

        var skips = new List<SkippedImage>();
        int total = realFiles.Count + fakeFiles.Count, before = 0;
        progress?.Report(new CrossValidationProgress(CrossValidationStage.Residuals, 0, options.Folds, null, 0, total));
        List<FileResidual> Extract(List<string> files)
        {
            var result = Residuals(denoiser, files, options, e =>
            {
                skips.Add(new SkippedImage(e.FilePath ?? "", e.Reason));
                skipped?.Invoke(e);
            }, progress is null ? null : new Callback<int>(n => progress.Report(new CrossValidationProgress(CrossValidationStage.Residuals, 0, options.Folds, null, before + n, total))),
            cancellationToken);
            before += files.Count;
            return result;
        }
        var realResiduals = Extract(realFiles);
        var fakeResiduals = Extract(fakeFiles);
        CheckCounts(realResiduals.Count, fakeResiduals.Count, options.Folds, "usable");
        return Run(realResiduals, fakeResiduals, options, detectors, progress, cancellationToken) with { Skipped = skips };
    }

    /// <summary>Cross-validates on residuals already extracted (3×S×S each; the paths only name them in the report).</summary>
    /// <param name="real">Residuals of real images.</param>
    /// <param name="fake">Residuals of generated images.</param>
    /// <param name="options">Folds and seed (the image options and cache are not used here; null: the defaults).</param>
    /// <param name="detectors">Detector factories, each called once per fold (null: <see cref="Detectors"/> with
    /// <see cref="CrossValidationOptions.FitOptions"/>). Their names must differ.</param>
    /// <param name="progress">Reported before each detector is fitted on a fold.</param>
    /// <param name="cancellationToken">Checked between folds and detectors, and passed to each fit.</param>
    /// <exception cref="DifException">Fewer than 2 folds.</exception>
    /// <exception cref="DifTooFewImagesException">A class with fewer images than folds.</exception>
    public static CrossValidationReport Run(IReadOnlyList<FileResidual> real, IReadOnlyList<FileResidual> fake, CrossValidationOptions? options = null,
                                            IReadOnlyList<Func<IResidualDetector>>? detectors = null, IProgress<CrossValidationProgress>? progress = null,
                                            CancellationToken cancellationToken = default)
    {
        options ??= new CrossValidationOptions();
        options.Validate();
        int k = options.Folds;
        CheckCounts(real.Count, fake.Count, k, "given");
        detectors ??= Detectors(options.EffectiveFitOptions);
        if (detectors.Count == 0) throw new ArgumentException("No detector to cross-validate.", nameof(detectors));

        var split = StratifiedFolds.Assign(real.Count, fake.Count, k, options.Seed);
        var images = real.Concat(fake).ToList();
        var generated = real.Select(_ => false).Concat(fake.Select(_ => true)).ToArray();
        var foldOf = split.Real.Concat(split.Fake).ToArray();
        var names = new string?[detectors.Count];
        var scores = detectors.Select(_ => Enumerable.Repeat(double.NaN, images.Count).ToArray()).ToArray();
        var folds = detectors.Select(_ => new List<CrossValidationFold>()).ToArray();
        int done = 0, fits = k * detectors.Count;
        for (int fold = 1; fold <= k; fold++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var test = Enumerable.Range(0, images.Count).Where(i => foldOf[i] == fold).ToArray();
            List<float[]> Train(bool g) => Enumerable.Range(0, images.Count).Where(i => foldOf[i] != fold && generated[i] == g).Select(i => images[i].Residual).ToList();
            var trainReal = Train(false);
            var trainFake = Train(true);
            var testLabels = test.Select(i => generated[i]).ToArray();
            for (int d = 0; d < detectors.Count; d++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var detector = detectors[d]();
                names[d] ??= detector.Name;
                progress?.Report(new CrossValidationProgress(CrossValidationStage.Fitting, fold, k, detector.Name, done, fits));
                detector.Fit(trainReal, trainFake, cancellationToken);
                var foldScores = test.Select(i => detector.Score(images[i].Residual)).ToArray();
                for (int t = 0; t < test.Length; t++) scores[d][test[t]] = foldScores[t];
                folds[d].Add(new CrossValidationFold(fold, trainReal.Count, trainFake.Count, testLabels.Count(g => !g), testLabels.Count(g => g),
                    DetectionMetrics.Confusion(foldScores, testLabels), DetectionMetrics.Auc(foldScores, testLabels)));
                done++;
            }
            if (fold == 1 && names.Distinct().Count() != names.Length)
                throw new ArgumentException($"Detector names must differ (got {string.Join(", ", names)}).", nameof(detectors));
        }

        var results = detectors.Select((_, d) => new CrossValidationResult(names[d]!, folds[d],
            DetectionMetrics.Confusion(scores[d], generated), DetectionMetrics.Auc(scores[d], generated))).ToList();
        var perImage = images.Select((r, i) => new CrossValidationImage(r.Path, generated[i], foldOf[i], scores.Select(s => s[i]).ToArray())).ToList();
        return new CrossValidationReport(k, options.Seed, real.Count, fake.Count, results, perImage, []);
    }

    /// <summary>Refuses a class that cannot give every fold at least one image.</summary>
    private static void CheckCounts(int real, int fake, int folds, string how)
    {
        var shortOf = new List<string>();
        if (real < folds) shortOf.Add(FormattableString.Invariant($"{real} real"));
        if (fake < folds) shortOf.Add(FormattableString.Invariant($"{fake} generated"));
        if (shortOf.Count == 0) return;
        int most = Math.Min(real, fake);
        var advice = most >= 2 ? FormattableString.Invariant($"Add images, or use at most {most} folds.") : "Add images.";
        throw new DifTooFewImagesException(FormattableString.Invariant(
            $"Too few images for {folds}-fold cross-validation: {string.Join(" and ", shortOf)} image(s) {how}, but every fold must test at least one image of each class, so each class needs at least {folds}. {advice}"));
    }

    /// <summary>Residuals of <paramref name="files"/> (usable ones, in order), through the cache when there is one.
    /// A cached class also remembers which files were skipped and why, and reports them again.</summary>
    private static List<FileResidual> Residuals(Denoiser denoiser, List<string> files, CrossValidationOptions options, Action<DifImageException> skipped,
                                                IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var image = options.ImageOptions;
        int length = 3 * image.CropSize * image.CropSize;
        string? cacheFile = options.CacheFolder is null ? null : Path.Combine(options.CacheFolder, EvaluationHarness.CacheKey(denoiser, files, image, "crossval") + ".crossval-residuals.safetensors");
        if (cacheFile is not null && File.Exists(cacheFile) && ReadCache(cacheFile, files, length) is { } cached)
        {
            foreach (var (path, reason) in cached.Skipped) skipped(new DifImageException(path, reason));
            progress?.Report(files.Count);
            return cached.Residuals;
        }
        var skips = new List<(string, string)>();
        var result = ResidualExtraction.FromFiles(denoiser, files, image, e => { skips.Add((e.FilePath ?? "", e.Reason)); skipped(e); }, progress, cancellationToken);
        if (cacheFile is not null && result.Count > 0)
        {
            Directory.CreateDirectory(options.CacheFolder!);
            var index = files.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => (long)x.i);
            var flat = new float[(long)result.Count * length];
            for (int i = 0; i < result.Count; i++) Array.Copy(result[i].Residual, 0, flat, (long)i * length, length);
            SafeTensors.Write(cacheFile, new Dictionary<string, SafeTensor>
            {
                ["residuals"] = SafeTensor.FromFloats(flat, result.Count, 3, image.CropSize, image.CropSize),
                ["kept"] = SafeTensor.FromInt64(result.Select(r => index[r.Path]).ToArray(), result.Count),
            }, new Dictionary<string, string>
            {
                ["format"] = "dif-crossval-residual-cache",
                ["denoiser_identity"] = denoiser.Identity,
                ["skipped"] = JsonSerializer.Serialize(skips.Select(s => new[] { s.Item1, s.Item2 })),
            });
        }
        return result;
    }

    private static (List<FileResidual> Residuals, List<(string, string)> Skipped)? ReadCache(string cacheFile, List<string> files, int length)
    {
        try
        {
            var (tensors, metadata) = SafeTensors.Read(cacheFile);
            if (!tensors.TryGetValue("residuals", out var all) || !tensors.TryGetValue("kept", out var keptTensor) || !metadata.TryGetValue("skipped", out var skippedJson))
                return null;
            var kept = keptTensor.ToInt64();
            var values = all.ToFloats();
            if (values.Length != (long)kept.Length * length || kept.Any(i => i < 0 || i >= files.Count)) return null;
            var skips = (JsonSerializer.Deserialize<string[][]>(skippedJson) ?? []).Select(s => (s[0], s[1])).ToList();
            return (kept.Select((i, n) => new FileResidual(files[(int)i], values.AsSpan(n * length, length).ToArray())).ToList(), skips);
        }
        catch (Exception e) when (e is DifException or JsonException or IndexOutOfRangeException or InvalidOperationException)
        {
            return null; // a damaged or foreign cache file: extract again (and overwrite it)
        }
    }


    private sealed class Callback<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
