using System.Globalization;
using System.Text;
using System.Text.Json;
using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Persistence;

namespace Dif.Evaluation;

/// <summary>One detector's result on one test set.</summary>
/// <param name="Detector">Detector name.</param>
/// <param name="TrainPerClass">Training images per class it was fitted on.</param>
/// <param name="Confusion">Decisions at score 0.</param>
/// <param name="Auc">Area under the ROC curve.</param>
/// <param name="RealScores">Scores of the real test images.</param>
/// <param name="FakeScores">Scores of the generated test images.</param>
public sealed record DetectorResult(string Detector, int TrainPerClass, Confusion Confusion, double Auc,
                                    IReadOnlyList<double>? RealScores = null, IReadOnlyList<double>? FakeScores = null)
{
    /// <summary>Balanced accuracy (mean of real and generated accuracy).</summary>
    public double BalancedAccuracy => Confusion.BalancedAccuracy;
}

/// <summary>Residuals of a labelled image set.</summary>
/// <param name="Real">Residuals of real images.</param>
/// <param name="Fake">Residuals of generated images.</param>
public sealed record LabelledResiduals(IReadOnlyList<float[]> Real, IReadOnlyList<float[]> Fake);

/// <summary>A harness report: results of every detector and training size on one test set.</summary>
/// <param name="Title">What was evaluated (condition, generator).</param>
/// <param name="TestReal">Real test images.</param>
/// <param name="TestFake">Generated test images.</param>
/// <param name="Results">One row per detector and training size.</param>
public sealed record HarnessReport(string Title, int TestReal, int TestFake, IReadOnlyList<DetectorResult> Results)
{
    /// <summary>The report as a Markdown table.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"### {Title}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Test set: {TestReal} real, {TestFake} generated images.");
        sb.AppendLine();
        sb.AppendLine("| detector | train/class | balanced acc. | AUC | real acc. | generated acc. | TP | FN | TN | FP |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in Results)
        {
            var c = r.Confusion;
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Detector} | {r.TrainPerClass} | {100 * r.BalancedAccuracy:F1}% | {r.Auc:F3} | {100 * c.RealAccuracy:F1}% | {100 * c.FakeAccuracy:F1}% | {c.TruePositives} | {c.FalseNegatives} | {c.TrueNegatives} | {c.FalsePositives} |"));
        }
        return sb.ToString();
    }

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        title = Title, test_real = TestReal, test_fake = TestFake,
        results = Results.Select(r => new
        {
            detector = r.Detector, train_per_class = r.TrainPerClass, balanced_accuracy = r.BalancedAccuracy, auc = r.Auc,
            real_accuracy = r.Confusion.RealAccuracy, fake_accuracy = r.Confusion.FakeAccuracy,
            confusion = new { tp = r.Confusion.TruePositives, fn = r.Confusion.FalseNegatives, tn = r.Confusion.TrueNegatives, fp = r.Confusion.FalsePositives },
            real_scores = r.RealScores, fake_scores = r.FakeScores,
        }),
    }, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>Fits detectors on training residuals and measures them on test residuals — every detector
/// on identical splits, for each requested number of training images per class (the supplement's
/// Figs. B–C sweep).</summary>
public static class EvaluationHarness
{
    /// <summary>Residuals of the first <paramref name="limit"/> image files of <paramref name="folder"/> (sorted by name).
    /// With <paramref name="cacheFolder"/>, they are kept in a safetensors file there, keyed by the denoiser's identity,
    /// the crop options (harmonisation included) and every file's path, size and time, so evaluations of other detectors or generators on the
    /// same images skip the DnCNN (which dominates an evaluation's cost).</summary>
    public static List<float[]> Residuals(Denoiser denoiser, string folder, int limit, ImageLoadOptions options, CancellationToken cancellationToken = default,
                                          string? cacheFolder = null)
    {
        if (!Directory.Exists(folder)) throw new DifException($"{folder}: folder not found.");
        var files = ImageFiles.In(folder).Take(limit).ToList();
        string? cacheFile = cacheFolder is null ? null : Path.Combine(cacheFolder, CacheKey(denoiser, files, options) + ".residuals.safetensors");
        if (cacheFile is not null && File.Exists(cacheFile))
        {
            var (tensors, _) = SafeTensors.Read(cacheFile);
            var all = tensors["residuals"];
            int length = 3 * options.CropSize * options.CropSize;
            var values = all.ToFloats();
            if (values.Length == files.Count * length)
                return Enumerable.Range(0, files.Count).Select(i => values.AsSpan(i * length, length).ToArray()).ToList();
        }
        // In batches (ResidualExtraction.DefaultBatchSize): once large blocks stopped being mmapped afresh
        // (NativeSetup), batches of 8 beat single images (1.07× images/s quiet, ~30% less CPU per image busy).
        // A bad file ends the run: evaluation sets are made by the project.
        var result = ResidualExtraction.FromFiles(denoiser, files, options, cancellationToken: cancellationToken).Select(r => r.Residual).ToList();
        if (cacheFile is not null && result.Count > 0)
        {
            Directory.CreateDirectory(cacheFolder!);
            var flat = result.SelectMany(r => r).ToArray();
            SafeTensors.Write(cacheFile, new Dictionary<string, SafeTensor> { ["residuals"] = SafeTensor.FromFloats(flat, result.Count, 3, options.CropSize, options.CropSize) },
                new Dictionary<string, string> { ["format"] = "dif-residual-cache", ["folder"] = Path.GetFullPath(folder), ["denoiser_identity"] = denoiser.Identity });
        }
        return result;
    }

    /// <summary>The name of a residual cache file: a hash of the denoiser, the crop options, the harmonisation and
    /// every file's path, size and time (a missing file is named as missing). <paramref name="kind"/> keeps caches of
    /// different layouts apart (null: the harness's own).</summary>
    internal static string CacheKey(Denoiser denoiser, IReadOnlyList<string> files, ImageLoadOptions options, string? kind = null)
    {
        var text = new StringBuilder(kind is null ? "" : kind + "|");
        text.Append(CultureInfo.InvariantCulture, $"{denoiser.Identity}|{options.CropSize}|{options.AllowPadding}");
        // Only when set, so caches written before harmonisation existed still match their unharmonised residuals.
        if (options.Harmonise is { } h) text.Append("|harmonise=").Append(h);
        foreach (var f in files)
        {
            var info = new FileInfo(f);
            if (info.Exists) text.Append(CultureInfo.InvariantCulture, $"|{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}");
            else text.Append(CultureInfo.InvariantCulture, $"|{info.FullName}|missing");
        }
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..24];
    }

    /// <summary>Fits a fresh detector from each factory on the first n residuals per class of
    /// <paramref name="train"/>, for each n in <paramref name="trainCounts"/>, and scores <paramref name="test"/>.</summary>
    public static HarnessReport Run(string title, IReadOnlyList<Func<IResidualDetector>> detectors, LabelledResiduals train, LabelledResiduals test,
                                    IReadOnlyList<int> trainCounts, CancellationToken cancellationToken = default)
    {
        var labels = test.Real.Select(_ => false).Concat(test.Fake.Select(_ => true)).ToArray();
        var results = new List<DetectorResult>();
        foreach (var n in trainCounts)
        {
            if (n > train.Real.Count || n > train.Fake.Count)
                throw new ArgumentException($"{n} training images per class requested but only {train.Real.Count} real and {train.Fake.Count} generated are available.");
            foreach (var make in detectors)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var detector = make();
                detector.Fit(train.Real.Take(n).ToList(), train.Fake.Take(n).ToList(), cancellationToken);
                var scores = test.Real.Concat(test.Fake).Select(detector.Score).ToArray();
                results.Add(new DetectorResult(detector.Name, n, DetectionMetrics.Confusion(scores, labels), DetectionMetrics.Auc(scores, labels),
                                               scores[..test.Real.Count], scores[test.Real.Count..]));
            }
        }
        return new HarnessReport(title, test.Real.Count, test.Fake.Count, results);
    }
}
