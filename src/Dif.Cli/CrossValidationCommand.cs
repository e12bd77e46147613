using System.Globalization;
using Dif.Evaluation;
using Dif.Imaging;
using Dif.Persistence;

namespace Dif.Cli;

/// <summary>`dif evaluate --real ... --fake ... --folds K`: stratified K-fold cross-validation of Dif's fingerprint and
/// the residual-averaging baseline on the user's own images (<see cref="CrossValidation"/>).</summary>
internal static class CrossValidationCommand
{
    public static int Run(Arguments a, CancellationToken ct)
    {
        var realInputs = a.All("real");
        var fakeInputs = a.All("fake");
        if (realInputs.Count == 0 || fakeInputs.Count == 0)
            throw new UsageException("cross-validation (evaluate --folds) needs --real DIR|FILE... and --fake DIR|FILE...");
        var options = new CrossValidationOptions
        {
            Folds = a.Int("folds", CrossValidationOptions.DefaultFolds),
            Seed = a.Int("seed", 1),
            ImageOptions = new ImageLoadOptions { CropSize = a.Int("size", ImageLoadOptions.DefaultCropSize), Harmonise = CommandLine.Harmonise(a) },
        };
        // Only what the user gives is passed on: the schedule's defaults are the fitter's own (FingerprintFitOptions).
        var fit = options.EffectiveFitOptions;
        fit.Epochs = a.Int("epochs", fit.Epochs);
        fit.BatchSize = a.Int("batch", fit.BatchSize);
        fit.MinSteps = a.Int("min-steps", fit.MinSteps);
        options.FitOptions = fit;
        var output = a.String("out", "out/report")!;
        var cache = a.String("cache", Path.Combine(output, ".residual-cache"));
        options.CacheFolder = cache == "none" ? null : cache;
        var denoiserPath = a.String("denoiser");
        a.RejectUnknown();
        options.Validate();
        fit.Validate();

        using var denoiser = CommandLine.LoadDenoiser(denoiserPath, null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Say(string text) => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,4:F0} s] {text}"));
        int skipped = 0, total = 0;
        bool counted = false;
        var progress = new SyncProgress<CrossValidationProgress>(p =>
        {
            if (p.Stage == CrossValidationStage.Residuals)
            {
                total = p.Total;
                if (p.Done == 0) Say($"Residuals of {p.Total} images (each extracted once) ...");
                return;
            }
            if (!counted)
            {
                counted = true;
                if (skipped > 0) Say($"{skipped} of {total} images could not be used (listed above); cross-validating on the other {total - skipped}.");
                Say($"{options.Folds}-fold cross-validation (seed {options.Seed}), fingerprint fit: at least {fit.Epochs} epochs and {fit.MinSteps} steps of batch {fit.BatchSize} ...");
            }
            Say(p.ToString());
        });
        var report = CrossValidation.Run(denoiser, realInputs, fakeInputs, options, CrossValidation.Detectors(fit, FingerprintCommands.EpochPrinter(Say)),
            progress, e => { skipped++; Console.Error.WriteLine($"dif: skipped: {e.Message}"); }, ct);

        Directory.CreateDirectory(output);
        var markdown = Path.Combine(output, "crossval.md");
        var json = Path.Combine(output, "crossval.json");
        AtomicFile.Write(markdown, s => s.Write(System.Text.Encoding.UTF8.GetBytes(report.ToMarkdown())));
        AtomicFile.Write(json, s => s.Write(System.Text.Encoding.UTF8.GetBytes(report.ToJson())));
        Console.WriteLine(report.ToMarkdown());
        Console.WriteLine($"Written {markdown} and {json} ({clock.Elapsed.TotalSeconds:F0} s)");
        return 0;
    }
}
