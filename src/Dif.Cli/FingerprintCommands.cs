using System.Globalization;
using Dif.Denoising;
using Dif.Evaluation;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Persistence;

namespace Dif.Cli;

/// <summary>The fingerprint verbs of `dif`: demo, fit, detect.</summary>
internal static class FingerprintCommands
{
    /// <summary>The main job on bundled data: make a small evaluation set with the transposed-conv generator,
    /// fit Dif and the residual-averaging baseline on identical splits, report held-out accuracy, and write
    /// the fingerprint (safetensors) with its pattern and spectrum as PNGs.</summary>
    public static int Demo(Arguments a, CancellationToken ct)
    {
        var outDir = a.String("out", "out/demo")!;
        int train = a.Int("train", 32), test = a.Int("test", 32), epochs = a.Int("epochs", FingerprintFitOptions.DefaultEpochs);
        int minSteps = a.Int("min-steps", FingerprintFitOptions.DefaultMinSteps);
        var options = new ImageLoadOptions { CropSize = a.Int("size", ImageLoadOptions.DefaultCropSize) };
        var generatorName = a.String("generator", "tconv")!;
        a.RejectUnknown();
        var root = CommandLine.RepositoryRoot("demo");
        var photos = Path.Combine(root, "data", "photos", "evaluation");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Say(string text) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,4:F0} s] {text}"));

        using var denoiser = Denoiser.LoadDefault();
        Say($"Dif demo. Default denoiser {denoiser.Identity[..16]} on {denoiser.Device}.");

        var data = Path.Combine(outDir, "data");
        using (var generator = Generator.Load(Path.Combine(root, "models", "generators", generatorName + ".safetensors")))
        {
            Say($"1/4 Making {train}+{test} real and {train}+{test} '{generatorName}' images ({options.CropSize}², PNG) from the bundled photos in {photos} ...");
            EvaluationDataset.Write(photos, [generator], data,
                new DatasetOptions { Size = options.CropSize, TrainCount = train, TestCount = test, Conditions = [Condition.Png] }, cancellationToken: ct);
        }

        Say("2/4 Extracting DnCNN residuals (computed once, then cached for fitting) ...");
        LabelledResiduals Load(string split, int n) => new(
            EvaluationHarness.Residuals(denoiser, EvaluationDataset.RealFolder(data, "png", split), n, options, ct),
            EvaluationHarness.Residuals(denoiser, EvaluationDataset.FakeFolder(data, "png", split, generatorName), n, options, ct));
        var trainSet = Load("train", train);
        var testSet = Load("test", test);

        Say($"3/4 Fitting the fingerprint ({epochs} epochs, at least {minSteps} steps) and the baseline on the same {train} + {train} training images ...");
        // Both detectors see identical training images; the probability calibration is then fitted on
        // those same images (dif fit holds out a share instead).
        var fit = new FingerprintFitOptions { Epochs = epochs, MinSteps = minSteps, CalibrationFraction = 0 };
        DifFingerprintDetector? dif = null;
        var report = EvaluationHarness.Run($"Dif vs residual averaging: '{generatorName}' generator, PNG, held-out test set",
            [() => dif = new DifFingerprintDetector(fit, EpochPrinter(Say)), () => new ResidualAveragingDetector()],
            trainSet, testSet, [train], ct);
        var fingerprint = dif!.Fingerprint!.WithName(generatorName);

        Say("4/4 Writing the fingerprint and its pictures ...");
        Directory.CreateDirectory(outDir);
        var stem = Path.Combine(outDir, generatorName);
        fingerprint.Save(stem + ".dif.safetensors");
        FingerprintImages.WritePattern(fingerprint, stem + "-fingerprint.png");
        FingerprintImages.WriteSpectrum(fingerprint, stem + "-spectrum.png");
        ScoreHistogram.WriteAll(report, outDir, generatorName + "-scores");
        Console.WriteLine();
        Console.WriteLine(report.ToMarkdown());
        Console.WriteLine($"Fingerprint: {Path.GetFullPath(stem + ".dif.safetensors")}");
        Console.WriteLine($"Pictures:    {Path.GetFullPath(stem + "-fingerprint.png")}, {Path.GetFullPath(stem + "-spectrum.png")}");
        Console.WriteLine($"Test images: {Path.GetFullPath(Path.Combine(data, "png", "test"))}");
        Say("Done.");
        return 0;
    }

    /// <summary>Fits a fingerprint from folders or files of real and generated images.</summary>
    public static int Fit(Arguments a, CancellationToken ct)
    {
        var realInputs = a.All("real");
        var fakeInputs = a.All("fake");
        if (realInputs.Count == 0 || fakeInputs.Count == 0) throw new UsageException("fit needs --real DIR|FILE and --fake DIR|FILE");
        var output = a.String("out") ?? throw new UsageException("fit needs --out FILE");
        var options = new ImageLoadOptions { CropSize = a.Int("size", ImageLoadOptions.DefaultCropSize), Harmonise = CommandLine.Harmonise(a) };
        var fit = new FingerprintFitOptions
        {
            Epochs = a.Int("epochs", FingerprintFitOptions.DefaultEpochs),
            MinSteps = a.Int("min-steps", FingerprintFitOptions.DefaultMinSteps),
            BatchSize = a.Int("batch", 64),
            Seed = a.Int("seed", 1),
            Boost = a.Flag("boost"),
            CalibrationFraction = a.Double("calibration", 0.2),
            CheckpointPath = a.String("checkpoint"),
            CheckpointEvery = a.Int("checkpoint-every", 10),
            Resume = a.Flag("resume"),
            Device = a.String("device", "auto")!,
            SpillFolder = a.String("spill"),
        };
        if (a.String("memory-limit-mb") is not null) fit.MaxResidualBytes = a.Long("memory-limit-mb", 0) << 20;
        var name = a.String("name", Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(output)));
        using var denoiser = CommandLine.LoadDenoiser(a.String("denoiser"), fit.Device);
        a.RejectUnknown();
        if (fit.Resume && fit.CheckpointPath is null) throw new UsageException("--resume needs --checkpoint FILE");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Say(string text) => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,4:F0} s] {text}"));
        int total = 0, skipped = 0;
        var spilled = new List<ResidualFile>();
        IReadOnlyList<float[]> Residuals(List<string> files, string what)
        {
            total += files.Count;
            Say($"Residuals of {files.Count} {what} images ...");
            var residuals = ResidualExtraction.FromFiles(denoiser, files, options, e => { skipped++; Console.Error.WriteLine($"dif: skipped: {e.Message}"); }, cancellationToken: ct)
                .Select(r => r.Residual);
            // Residuals go to a temporary file as they are extracted: the fitter keeps its own standardised copy
            // (in memory, or on disk past the limit), so holding the raw ones in memory too would double the peak.
            long length = 3L * options.CropSize * options.CropSize;
            var file = new ResidualFile((int)length, fit.SpillFolder);
            spilled.Add(file);
            foreach (var r in residuals) file.Add(r);
            return file;
        }
        var realFiles = CommandLine.ExpandImages(realInputs).ToList();
        var fakeFiles = CommandLine.ExpandImages(fakeInputs).ToList();
        // Headers only, before the long work: a class stored unlike the other may be what the fingerprint learns.
        var format = TrainingSetFormat.Compare(realFiles, fakeFiles, ct);
        foreach (var warning in format.Warnings) Console.Error.WriteLine($"warning: {warning}");
        if (format.Advice(options.Harmonise) is { } advice) Console.Error.WriteLine($"dif: {advice}");
        if (options.Harmonise is { } h) Say($"Every image is harmonised as {h} (re-encoded in memory after the crop); the fingerprint records it.");
        try
        {
            var real = Residuals(realFiles, "real");
            var fake = Residuals(fakeFiles, "generated");
            if (skipped > 0) Say($"{skipped} of {total} images could not be used (listed above); fitting on the other {total - skipped}.");
            if (fit.Resume && File.Exists(fit.CheckpointPath)) Say($"Resuming from checkpoint {fit.CheckpointPath}.");
            Say($"Fitting (at least {fit.Epochs} epochs and {fit.MinSteps} steps) ...");
            var fingerprint = new FingerprintFitter(fit).Fit(real, fake, options.CropSize, denoiser.Identity, EpochPrinter(Say), ct).WithName(name)
                .WithHarmonisation(options.Harmonise).WithFormatWarnings(format.Warnings);
            fingerprint.Save(output);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {output}: centres real {fingerprint.RealCentre:F4}, generated {fingerprint.FakeCentre:F4}; calibrated on {fingerprint.Calibration.Images} {fingerprint.Calibration.Source} images."));
            return 0;
        }
        finally { foreach (var f in spilled) f.Dispose(); }
    }

    /// <summary>Scores images against a fingerprint and prints one line per image.</summary>
    public static int Detect(Arguments a, CancellationToken ct)
    {
        var fingerprintPath = a.String("fingerprint") ?? throw new UsageException("detect needs --fingerprint FILE");
        var detection = new DetectionOptions { InconclusiveBand = a.Double("band", DetectionOptions.DefaultInconclusiveBand) };
        bool force = a.Flag("force-denoiser");
        var precision = CommandLine.Precision(a);
        var harmonise = CommandLine.Harmonise(a);
        var fingerprint = Fingerprint.Load(fingerprintPath);
        // The fingerprint's crop size and harmonisation; asking for another harmonisation is an error.
        var options = fingerprint.ImageOptions(harmonise, fingerprintSource: fingerprintPath);
        using var denoiser = CommandLine.LoadDenoiser(a.String("denoiser"), a.String("device"));
        denoiser.Precision = precision;
        a.RejectUnknown();
        fingerprint.EnsureDenoiser(denoiser, force, fingerprintPath);
        if (fingerprint.DenoiserCaveat(denoiser, fingerprintPath) is { } caveat) Console.Error.WriteLine($"dif: warning: {caveat}");
        var files = CommandLine.ExpandImages(a.Positional).ToList();
        if (files.Count == 0) throw new UsageException("detect needs image files or folders");
        if (options.Harmonise is { } h) Console.Error.WriteLine($"dif: images are harmonised as {h}, as the fingerprint records.");
        Console.WriteLine($"{"Verdict",-12} {"P(gen.)",8} {"Score",9} {"Corr.",8}  Path");
        int failures = 0;
        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var d = fingerprint.Detect(denoiser.ExtractResidual(ImageLoader.Load(file, options)), detection);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{d.Verdict,-12} {d.Probability,8:F3} {d.Score,9:F5} {d.Correlation,8:F5}  {file}"));
            }
            catch (DifImageException e)
            {
                failures++;
                Console.Error.WriteLine($"dif: skipped: {e.Message}");
            }
        }
        if (failures > 0) Console.Error.WriteLine($"dif: {failures} of {files.Count} images could not be scored.");
        return failures == files.Count ? 1 : 0;
    }

    internal static SyncProgress<FingerprintFitProgress> EpochPrinter(Action<string> say)
    {
        // p.Epochs is the epochs the fit runs (more than asked when the step budget needs them).
        return new SyncProgress<FingerprintFitProgress>(p =>
        {
            if (p.Epoch % Math.Max(1, p.Epochs / 10) == 0 || p.Epoch == p.Epochs)
                say(string.Create(CultureInfo.InvariantCulture, $"  epoch {p.Epoch}/{p.Epochs}: loss {p.Loss:F3}, rho real {p.RealCorrelation:F4}, rho generated {p.FakeCorrelation:F4}"));
        });
    }
}
