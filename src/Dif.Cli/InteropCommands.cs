using System.Globalization;
using Dif.Denoising;
using Dif.Evaluation;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Interop;

namespace Dif.Cli;

/// <summary>The interop and insight verbs of `dif`: import-checkpoint, inspect-checkpoint, picture,
/// gray-experiment, ablation.</summary>
internal static class InteropCommands
{
    public static int ImportCheckpoint(Arguments a)
    {
        var input = a.String("in") ?? a.Positional.FirstOrDefault() ?? throw new UsageException("import-checkpoint needs --in FILE");
        var output = a.String("out") ?? throw new UsageException("import-checkpoint needs --out FILE");
        var options = new CheckpointImportOptions
        {
            Kind = a.String("kind", "auto")!.ToLowerInvariant() switch
            {
                "auto" => CheckpointKind.Auto,
                "denoiser" => CheckpointKind.Denoiser,
                "fingerprint" => CheckpointKind.Fingerprint,
                var k => throw new UsageException($"--kind is auto, denoiser or fingerprint, not '{k}'"),
            },
            BiasPatternPath = a.String("bias"),
            Name = a.String("name"),
            CentreWindow = a.Int("window", 20),
            ProbabilityAtCentre = a.Double("p-at-centre", 0.9),
        };
        var denoiserPath = a.String("denoiser");
        a.RejectUnknown();
        if (denoiserPath is not null)
        {
            using var denoiser = Denoiser.Load(denoiserPath, "cpu");
            options.DenoiserIdentity = denoiser.Identity;
        }
        var result = CheckpointImport.Convert(input, output, options);
        Console.WriteLine($"Wrote {result.OutputPath}: {result.Description}");
        if (result.Kind == CheckpointKind.Fingerprint && result.DenoiserIdentity is null)
            Console.Error.WriteLine("dif: note: the fingerprint records no denoiser; score it with residuals of the denoiser it was fitted with (import that one too, and pass --denoiser to record it).");
        return 0;
    }

    public static int InspectCheckpoint(Arguments a)
    {
        a.RejectUnknown();
        if (a.Positional.Count != 1) throw new UsageException("inspect-checkpoint needs one FILE");
        var checkpoint = TorchCheckpoint.Load(a.Positional[0]);
        Console.WriteLine(checkpoint.Describe());
        string kind;
        try { kind = CheckpointImport.DetectKind(checkpoint).ToString().ToLowerInvariant(); }
        catch (DifModelFileException) { kind = "neither a denoiser nor a fingerprint Dif imports"; }
        Console.WriteLine($"{checkpoint.Tensors().Count} tensor(s) in {checkpoint.Storages.Count} storage(s); looks like: {kind}.");
        return 0;
    }

    public static int Picture(Arguments a, CancellationToken ct)
    {
        var prefix = a.String("out") ?? throw new UsageException("picture needs --out PREFIX");
        var fingerprintPath = a.String("fingerprint");
        var scaling = a.String("scaling", "minmax")!.ToLowerInvariant() switch
        {
            "minmax" => PatternImages.Scaling.MinMax,
            "sigma3" => PatternImages.Scaling.Sigma3,
            var s => throw new UsageException($"--scaling is minmax or sigma3, not '{s}'"),
        };
        var denoiserPath = a.String("denoiser");
        var options = new ImageLoadOptions { CropSize = a.Int("crop", ImageLoadOptions.DefaultCropSize) };
        a.RejectUnknown();
        string patternPath = prefix + "-pattern.png", spectrumPath = prefix + "-spectrum.png";
        if (fingerprintPath is not null)
        {
            if (a.Positional.Count > 0) throw new UsageException("picture takes --fingerprint or images, not both");
            var fingerprint = Fingerprint.Load(fingerprintPath);
            PatternImages.Write(fingerprint.Pattern, fingerprint.Size, patternPath, spectrumPath, scaling);
        }
        else
        {
            var files = CommandLine.ExpandImages(a.Positional).ToList();
            if (files.Count == 0) throw new UsageException("picture needs --fingerprint FILE or image files or folders");
            using var denoiser = CommandLine.LoadDenoiser(denoiserPath, null);
            var residuals = ResidualExtraction.FromFiles(denoiser, files, options, e => Console.Error.WriteLine($"dif: skipped: {e.Message}"), cancellationToken: ct)
                .Select(r => r.Residual).ToList();
            if (residuals.Count == 0) throw new DifException("No image could be read.");
            PatternImages.WriteMeanResidual(residuals, options.CropSize, patternPath, spectrumPath, scaling);
            Console.WriteLine($"Mean residual of {residuals.Count} image(s).");
        }
        Console.WriteLine($"Wrote {patternPath} and {spectrumPath}.");
        return 0;
    }

    public static int GrayExperiment(Arguments a, CancellationToken ct)
    {
        var output = a.String("out") ?? throw new UsageException("gray-experiment needs --out DIR");
        var options = new GrayImageExperimentOptions
        {
            Architecture = Architecture(a.String("architecture", "unet")!),
            Size = a.Int("size", 128),
            Epochs = a.Int("epochs", 1000),
            LearningRate = a.Double("lr", 5e-5),
            Seed = a.Int("seed", 1),
            Device = a.String("device", "auto")!,
        };
        if (a.String("snapshots") is not null) options.SnapshotEpochs = a.Ints("snapshots", "");
        a.RejectUnknown();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var progress = new SyncProgress<GrayImageSnapshot>(s => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {s.Epoch,5}: loss {s.Loss:E2}, rms deviation from gray {s.RmsDeviation:E2} ({clock.Elapsed.TotalSeconds:F0} s)")));
        GrayImageExperiment.Run(options, output, progress, ct);
        Console.WriteLine($"Pictures in {Path.GetFullPath(output)} (montage.png: deviations above spectra, one column per snapshot).");
        return 0;
    }

    public static int Ablation(Arguments a, CancellationToken ct)
    {
        var data = a.String("data", "out/eval")!;
        var condition = a.String("condition", "png")!;
        var generator = a.String("generator", "tconv")!;
        int train = a.Int("train", 32), test = a.Int("test", 64), epochs = a.Int("epochs", 100);
        var architectures = a.String("architectures", "unet,cnet,dnet,u1net")!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Architecture).ToList();
        var options = new ImageLoadOptions { CropSize = a.Int("size", 256) };
        var output = a.String("out", "out/report")!;
        var cache = a.String("cache", Path.Combine(data, ".residual-cache"));
        if (cache == "none") cache = null;
        var denoiserPath = a.String("denoiser");
        a.RejectUnknown();
        using var denoiser = CommandLine.LoadDenoiser(denoiserPath, null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<float[]> Load(string folder, int n) => EvaluationHarness.Residuals(denoiser, folder, n, options, ct, cache);
        var trainSet = new LabelledResiduals(Load(EvaluationDataset.RealFolder(data, condition, "train"), train),
                                             Load(EvaluationDataset.FakeFolder(data, condition, "train", generator), train));
        var testSet = new LabelledResiduals(Load(EvaluationDataset.RealFolder(data, condition, "test"), test),
                                            Load(EvaluationDataset.FakeFolder(data, condition, "test", generator), test));
        Console.Error.WriteLine($"residuals ready ({clock.Elapsed.TotalSeconds:F0} s)");
        var detectors = architectures.Select(arch => (Func<IResidualDetector>)(() =>
        {
            var fit = new FingerprintFitOptions { Epochs = epochs, CalibrationFraction = 0, Architecture = arch };
            var name = FingerprintNetworks.DisplayName(arch);
            return new DifFingerprintDetector(fit, new SyncProgress<FingerprintFitProgress>(p =>
            {
                if (p.Epoch % Math.Max(1, epochs / 5) == 0 || p.Epoch == p.Epochs)
                    Console.Error.WriteLine(FormattableString.Invariant($"  {name} epoch {p.Epoch}/{p.Epochs}: loss {p.Loss:F3} ({clock.Elapsed.TotalSeconds:F0} s)"));
            }));
        })).Append(() => new ResidualAveragingDetector()).ToList();
        var report = EvaluationHarness.Run($"Architecture ablation (supplement Table C): '{generator}', {condition}", detectors, trainSet, testSet, [train], ct);
        Directory.CreateDirectory(output);
        var stem = Path.Combine(output, $"ablation-{generator}-{condition}");
        Dif.Persistence.AtomicFile.Write(stem + ".md", s => s.Write(System.Text.Encoding.UTF8.GetBytes(report.ToMarkdown())));
        Dif.Persistence.AtomicFile.Write(stem + ".json", s => s.Write(System.Text.Encoding.UTF8.GetBytes(report.ToJson())));
        Console.WriteLine(report.ToMarkdown());
        Console.WriteLine($"Written {stem}.md and {stem}.json ({clock.Elapsed.TotalSeconds:F0} s)");
        return 0;
    }

    private static FingerprintArchitecture Architecture(string text)
    {
        try { return FingerprintNetworks.Parse(text); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
