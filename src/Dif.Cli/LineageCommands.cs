using System.Globalization;
using Dif.Evaluation;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Lineage;

namespace Dif.Cli;

/// <summary>The lineage verbs of `dif`.</summary>
internal static class LineageCommands
{
    /// <summary>Fits (or reuses) one fingerprint per generator of an evaluation set, then reports cross-detection,
    /// fingerprint correlation, lineage verdicts and attribution, with heatmaps.</summary>
    public static int Lineage(Arguments a, CancellationToken ct)
    {
        var data = a.String("data", "out/eval")!;
        var condition = a.String("condition", "png")!;
        var generators = a.String("generators", string.Join(",", GeneratorFamily.Names))!.Split(',', StringSplitOptions.RemoveEmptyEntries);
        int train = a.Int("train", 128), test = a.Int("test", 128);
        var options = new ImageLoadOptions { CropSize = a.Int("size", 256) };
        var output = a.String("out", "out/lineage")!;
        var fit = new FingerprintFitOptions
        {
            Epochs = a.Int("epochs", FingerprintFitOptions.DefaultEpochs),
            MinSteps = a.Int("min-steps", FingerprintFitOptions.DefaultMinSteps),
            Seed = a.Int("seed", 1),
        };
        var thresholds = new LineageOptions { DetectsAt = a.Double("detects-at", 0.8), MissesBelow = a.Double("misses-below", 0.65) };
        bool refit = a.Flag("refit");
        var cache = a.String("cache", Path.Combine(data, ".residual-cache"));
        if (cache == "none") cache = null;
        using var denoiser = CommandLine.LoadDenoiser(a.String("denoiser"), null);
        a.RejectUnknown();
        thresholds.Validate();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Say(string text) => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,5:F0} s] {text}"));
        List<float[]> Load(string folder, int n)
        {
            var r = EvaluationHarness.Residuals(denoiser, folder, n, options, ct, cache);
            Say($"residuals of {r.Count} images in {folder}");
            return r;
        }
        var trainReal = Load(EvaluationDataset.RealFolder(data, condition, "train"), train);
        var testReal = Load(EvaluationDataset.RealFolder(data, condition, "test"), test);
        var fingerprintFolder = Path.Combine(output, "fingerprints");
        Directory.CreateDirectory(fingerprintFolder);
        var fingerprints = new List<Fingerprint>();
        var testSets = new List<ModelTestSet>();
        foreach (var g in generators)
        {
            var file = Path.Combine(fingerprintFolder, g + ".dif.safetensors");
            if (!refit && File.Exists(file))
            {
                var loaded = Fingerprint.Load(file);
                loaded.EnsureDenoiser(denoiser, fingerprintSource: file);
                fingerprints.Add(loaded);
                Say($"reusing {file} (--refit to fit again)");
            }
            else
            {
                var fake = Load(EvaluationDataset.FakeFolder(data, condition, "train", g), train);
                Say($"fitting the fingerprint of {g} ({fit.EpochsFor(trainReal.Count + fake.Count)} epochs at most, at least {fit.MinSteps} steps) ...");
                var f = new FingerprintFitter(fit).Fit(trainReal, fake, options.CropSize, denoiser.Identity, cancellationToken: ct).WithName(g);
                f.Save(file);
                fingerprints.Add(f);
            }
            testSets.Add(new ModelTestSet(g, testReal, Load(EvaluationDataset.FakeFolder(data, condition, "test", g), test)));
        }
        Say("cross-detection, correlations, verdicts, attribution ...");
        var report = LineageReport.Analyse(fingerprints, testSets, thresholds, cancellationToken: ct);
        var written = report.Write(output);
        Console.WriteLine(report.ToMarkdown());
        Console.WriteLine($"Written to {Path.GetFullPath(output)}: {string.Join(", ", written)}, fingerprints/ ({clock.Elapsed.TotalSeconds:F0} s)");
        return 0;
    }
}
