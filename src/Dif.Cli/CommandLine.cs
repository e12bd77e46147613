using System.Globalization;
using Dif.Denoising;
using Dif.Evaluation;
using Dif.Imaging;

namespace Dif.Cli;

/// <summary>The `dif` command: one verb per job, each a thin call into Dif.MLNet.</summary>
internal static class CommandLine
{
    private const string Usage = """
        dif — Deep Image Fingerprint for .NET

        Usage: dif <command> [options]

        Commands:
          demo             [--out out/demo] [--train 32] [--test 32] [--epochs 100] [--min-steps 400] [--size 256] [--generator tconv]
                           The main job on the bundled data: fit a fingerprint of the transposed-conv
                           generator, compare it with residual averaging on held-out images, write it.
          fit              --real DIR|FILE... --fake DIR|FILE... --out FILE [--epochs 100] [--min-steps 400] [--size 256]
                           [--batch 64] [--seed 1] [--name NAME] [--calibration 0.2] [--boost]
                           [--checkpoint FILE [--checkpoint-every 10] [--resume]] [--denoiser FILE] [--device auto]
                           [--memory-limit-mb N (default: a quarter of memory; larger sets spill to disk)] [--spill DIR]
                           [--harmonise jpeg:Q (re-encode every image as JPEG at quality Q; recorded in the fingerprint)]
                           Fit a fingerprint of a generative model from its images and real ones; warns when the
                           two classes' files are stored differently (container, JPEG quality, bit depth, EXIF, size).
          detect           --fingerprint FILE [--band 0.1] [--denoiser FILE] [--force-denoiser] [--precision fp32|bf16] FILE|DIR...
                           [--harmonise jpeg:Q (must match the fingerprint's, which is applied without it)]
                           Verdict, probability, score and correlation for each image.
          residuals        --out DIR [--denoiser FILE] [--crop 256] [--device auto] FILE|DIR...
                           Extract DnCNN residuals and write them as PNG pictures.
          train-denoiser   --photos DIR... --out FILE [--validation DIR...] [--steps 3000] [--batch 16]
                           [--lr 1e-3] [--seed 1] [--checkpoint FILE] [--device auto] [--threads N]
                           [--sigma-min 5] [--sigma-max 15] [--warmup-fraction 0.1] [--anneal-end-fraction 0.5]
                           Train a DnCNN denoiser on real photos (resumes from --checkpoint).
          train-generators [--out models/generators] [--steps 1500] [--only tconv-tuned,...]
                           Train the evaluation generators (docs/accuracy.md, "Evaluation data").
          train-checkpoints [--out models/generators/checkpoints] [--steps 1500] [--every 300]
                           Train the tconv parent again, saving tconv@STEP snapshots (checkpoint lineage).
          make-dataset     [--out out/eval] [--generators models/generators] [--size 256] [--train 128]
                           [--test 128] [--strength 1] [--seed 1] [--conditions png,jpeg96] [--robustness yes]
                           [--only tconv,bilinear,...,periodic]
                           Write the evaluation sets (real/ and fake/GENERATOR/ folders).
          make-corpus      --packages DIR [--manifest data/corpus/photos.tsv] [--out out/corpus] [--size 256]
                           [--max-per-photo 96] [--min-std 0.02] [--seed 1] [--train 128] [--test 64] [--scales 2,3,4,8]
                           Cut the real-photo corpus from unpacked wallpaper packages, with the super-resolution
                           inputs and bicubic control (scripts/make-real-data.sh runs it).
          jpeg-condition   --from DIR --to DIR [--quality 90]
                           Copy an evaluation condition tree, both classes re-encoded as JPEG at one quality.
          preview-generators [--out docs/images] [--generators models/generators]
                           Side-by-side and spectrum pictures of the evaluation generators.
          evaluate         [--data out/eval] [--condition png] [--generator tconv[,bilinear,...]] [--train 16,32,64,128]
                           [--test 128] [--size 256] [--epochs 100] [--min-steps 400] [--batch 64] [--lr 5e-4]
                           [--seeds 1[,2,...]] [--harmonise jpeg:Q] [--out out/report] [--cache DIR|none]
                           Fit the detectors on a set's train split and report on its test split
                           (residuals are cached in DATA/.residual-cache unless --cache none).
                           --real DIR|FILE... --fake DIR|FILE... --folds K (default 5) [--seed 1] [--epochs N] [--batch N] [--min-steps N]
                           [--size 256] [--harmonise jpeg:Q] [--denoiser FILE] [--out out/report] [--cache DIR|none (default OUT/.residual-cache)]
                           Or cross-validate both detectors on your own images (folders are read recursively, bad
                           images skipped): each class in K seeded folds, every image tested once by detectors fitted
                           on the other folds; writes OUT/crossval.md and OUT/crossval.json. --seed picks the folds;
                           --epochs and --batch default to the fitter's own defaults.
          lineage          [--data out/eval] [--condition png] [--generators tconv,bilinear,...] [--train 128]
                           [--test 128] [--epochs 100] [--min-steps 400] [--out out/lineage] [--detects-at 0.8] [--misses-below 0.65]
                           [--refit] [--cache DIR|none]
                           One fingerprint per generator, then cross-detection, fingerprint correlation,
                           lineage verdicts, attribution, heatmaps (fingerprints are reused unless --refit).
          denoiser-quality [--denoiser FILE] --photos DIR... [--crop 256] [--sigma 15]
                           PSNR gain of a denoiser vs a 3x3 Gaussian blur on held-out photos.
          import-checkpoint --in FILE --out FILE [--kind auto|denoiser|fingerprint] [--bias FILE.npy|FILE.pt]
                           [--name NAME] [--denoiser FILE] [--window 20] [--p-at-centre 0.9]
                           Convert a PyTorch checkpoint (a DnCNN state_dict, or a fingerprint checkpoint of the
                           published DIF code) to a Dif safetensors file. No pickle code is run.
          inspect-checkpoint FILE
                           Outline what a PyTorch checkpoint holds (keys, tensor types and shapes), safely.
          picture          --out PREFIX (--fingerprint FILE | FILE|DIR...) [--scaling minmax|sigma3] [--denoiser FILE] [--crop 256]
                           PREFIX-pattern.png and PREFIX-spectrum.png of a fingerprint, or of the mean residual of images.
          gray-experiment  --out DIR [--architecture unet|cnet|dnet|u1net] [--size 128] [--epochs 1000] [--lr 5e-5]
                           [--snapshots 100,200,...] [--seed 1] [--device auto]
                           Fit g_theta to a flat gray image and picture its own artifacts (output, deviation, spectrum).
          ablation         [--data out/eval] [--condition png] [--generator tconv] [--train 32] [--test 64] [--epochs 100]
                           [--architectures unet,cnet,dnet,u1net] [--size 256] [--out out/report] [--cache DIR|none]
                           The supplement's Table C on a Dif evaluation set: each fingerprint architecture and the baseline.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); Console.Error.WriteLine("Cancelling..."); };
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args.Skip(1).Any(x => x is "--help" or "-h") && CommandUsage(args[0]) is { } commandUsage)
        {
            Console.WriteLine(commandUsage);
            return 0;
        }
        try
        {
            var a = new Arguments(args.Skip(1));
            if (a.String("threads") is not null) TorchSharp.torch.set_num_threads(a.Int("threads", 0));
            int rc = args[0] switch
            {
                "demo" => FingerprintCommands.Demo(a, cts.Token),
                "fit" => FingerprintCommands.Fit(a, cts.Token),
                "detect" => FingerprintCommands.Detect(a, cts.Token),
                "lineage" => LineageCommands.Lineage(a, cts.Token),
                "residuals" => Residuals(a, cts.Token),
                "train-denoiser" => TrainDenoiser(a, cts.Token),
                "denoiser-quality" => DenoiserQualityCommand(a),
                "train-generators" => TrainGenerators(a, cts.Token),
                "train-checkpoints" => TrainCheckpoints(a, cts.Token),
                "make-dataset" => MakeDataset(a, cts.Token),
                "preview-generators" => PreviewGenerators(a, cts.Token),
                "make-corpus" => CorpusCommands.MakeCorpus(a, cts.Token),
                "jpeg-condition" => CorpusCommands.JpegCondition(a, cts.Token),
                "evaluate" => Evaluate(a, cts.Token),
                "import-checkpoint" => InteropCommands.ImportCheckpoint(a),
                "inspect-checkpoint" => InteropCommands.InspectCheckpoint(a),
                "picture" => InteropCommands.Picture(a, cts.Token),
                "gray-experiment" => InteropCommands.GrayExperiment(a, cts.Token),
                "ablation" => InteropCommands.Ablation(a, cts.Token),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
            return await Task.FromResult(rc);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"dif: {e.Message}\n\n{CommandUsage(args[0]) ?? Usage}");
            return 2;
        }
        catch (ArgumentException e)
        {
            // The library's option classes validate their values; out-of-range flags end here.
            Console.Error.WriteLine($"dif: invalid option value: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("dif: cancelled; no output file was left half-written.");
            return 130;
        }
        catch (DifException e)
        {
            Console.Error.WriteLine($"dif: error: {e.Message}");
            return 1;
        }
    }

    /// <summary>The usage lines of one command (its entry in <see cref="Usage"/>), or null for an unknown one.</summary>
    private static string? CommandUsage(string command)
    {
        var lines = Usage.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith($"  {command} ", StringComparison.Ordinal));
        if (start < 0) return null;
        // An entry runs until the next line that starts a command (two spaces, then a name).
        int end = Array.FindIndex(lines, start + 1, l => l.Length > 2 && l.StartsWith("  ", StringComparison.Ordinal) && l[2] != ' ');
        return "Usage: dif <command> [options]\n\n" + string.Join('\n', lines[start..(end < 0 ? lines.Length : end)]);
    }

    internal static Denoiser LoadDenoiser(string? path, string? device)
        => path is null ? Denoiser.LoadDefault(device) : Denoiser.Load(path, device);

    /// <summary>--precision fp32 (default) or bf16: the arithmetic of residual extraction.</summary>
    internal static InferencePrecision Precision(Arguments a) => a.String("precision", "fp32") switch
    {
        "fp32" => InferencePrecision.Float32,
        "bf16" => InferencePrecision.BFloat16,
        var other => throw new UsageException($"--precision is fp32 or bf16, not '{other}'"),
    };

    /// <summary>--harmonise jpeg:Q, or null when not given.</summary>
    internal static Harmonisation? Harmonise(Arguments a)
        => a.String("harmonise") is not { } text ? null
           : Harmonisation.TryParse(text, out var h) ? h
           : throw new UsageException($"--harmonise takes jpeg:Q with Q a JPEG quality from 1 to 100 (e.g. jpeg:90), not '{text}'");

    internal static IEnumerable<string> ExpandImages(IEnumerable<string> inputs)
    {
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                foreach (var f in ImageFiles.In(input))
                    yield return f;
            }
            else yield return input;
        }
    }

    /// <summary>The Dif source checkout whose bundled data (photos, generators, corpus manifest) the demo and the
    /// data-making commands use: the nearest parent of the current folder, else of the program, holding Dif.sln.
    /// Only those commands need one; fitting, detection and the rest work from a published folder anywhere.</summary>
    internal static string RepositoryRoot(string command)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Dif.sln"))) return dir.FullName;
        throw new UsageException($"{command} uses the bundled data of a Dif source checkout (data/, models/generators/), " +
                                 "and neither the current folder nor the program's is inside one: run it from a clone of the repository.");
    }

    private static int Residuals(Arguments a, CancellationToken ct, Denoiser? given = null)
    {
        var outDir = a.String("out") ?? throw new UsageException("residuals needs --out DIR");
        var options = new ImageLoadOptions { CropSize = a.Int("crop", ImageLoadOptions.DefaultCropSize) };
        var denoiserPath = a.String("denoiser");
        var device = a.String("device");
        a.RejectUnknown();
        using var owned = given is null ? LoadDenoiser(denoiserPath, device) : null;
        var denoiser = given ?? owned!;
        var files = ExpandImages(a.Positional).ToList();
        if (files.Count == 0) throw new UsageException("residuals needs image files or folders");
        Directory.CreateDirectory(outDir);
        int failures = 0;
        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var image = ImageLoader.Load(file, options);
                var residual = denoiser.ExtractResidual(image);
                var target = Path.Combine(outDir, Path.GetFileNameWithoutExtension(file) + ".residual.png");
                ImageWriter.SaveSigned(residual, image.Size, image.Size, target);
                double rms = Math.Sqrt(residual.Average(v => (double)v * v));
                Console.WriteLine($"{file} -> {target}  (rms {rms * 255:F2}/255)");
            }
            catch (DifException e)
            {
                failures++;
                Console.Error.WriteLine($"dif: skipped: {e.Message}");
            }
        }
        Console.WriteLine($"{files.Count - failures} residual(s) written to {outDir}, {failures} failed.");
        return failures == files.Count ? 1 : 0;
    }

    private static int TrainDenoiser(Arguments a, CancellationToken ct)
    {
        var photos = a.All("photos");
        if (photos.Count == 0) throw new UsageException("train-denoiser needs --photos DIR");
        var output = a.String("out") ?? throw new UsageException("train-denoiser needs --out FILE");
        var options = new DenoiserTrainingOptions
        {
            Steps = a.Int("steps", 3000),
            BatchSize = a.Int("batch", 16),
            LearningRate = a.Double("lr", 1e-3),
            Seed = a.Int("seed", 1),
            Device = a.String("device", "auto")!,
            CheckpointPath = a.String("checkpoint"),
            IdentityInitialisation = a.Flag("identity-init"),
            HighPassFirstLayer = !a.Flag("no-high-pass-init"),
            BiasCrops = a.Int("bias-crops", 96),
            SigmaMin = a.Double("sigma-min", 5),
            SigmaMax = a.Double("sigma-max", 15),
            WarmupFraction = a.Double("warmup-fraction", 0.1),
            AnnealEndFraction = a.Double("anneal-end-fraction", 0.5),
            ValidateEvery = a.Int("validate-every", 250),
        };
        var validationDirs = a.All("validation");
        a.RejectUnknown();
        var training = TrainingPhotos.Load(photos);
        var validation = validationDirs.Count > 0 ? ValidationCrops(validationDirs, 128) : null;
        Console.WriteLine($"Training DnCNN on {training.Count} photos for {options.Steps} steps (batch {options.BatchSize}, lr {options.LearningRate}).");
        var progress = new SyncProgress<DenoiserTrainingProgress>(p =>
            Console.WriteLine(FormattableString.Invariant($"step {p.Step}/{p.TotalSteps}  loss {p.Loss:F3}  lr {p.LearningRate:E1}  {p.Elapsed:hh\\:mm\\:ss}")
                + (p.ValidationPsnrGain is { } g ? FormattableString.Invariant($"  held-out PSNR gain {g:+0.00;-0.00} dB") : "")));
        using var denoiser = new DenoiserTrainer(options).Train(training, validation, progress, ct);
        denoiser.Save(output);
        Console.WriteLine($"Saved {output} (identity {denoiser.Identity[..16]}).");
        if (denoiser.Metadata.TryGetValue("training", out var summary)) Console.WriteLine($"Training summary: {summary}");
        return 0;
    }

    private static int TrainGenerators(Arguments a, CancellationToken ct)
    {
        var root = RepositoryRoot("train-generators");
        var output = a.String("out", Path.Combine(root, "models", "generators"))!;
        int steps = a.Int("steps", Dif.Evaluation.GeneratorFamily.DefaultSteps);
        var only = a.String("only", null)?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        a.RejectUnknown();
        Dif.Evaluation.GeneratorFamily.Train(Path.Combine(root, "data", "photos", "denoiser-train"), output, steps, steps / 2,
            new SyncProgress<string>(Console.WriteLine), ct, only);
        return 0;
    }

    private static int TrainCheckpoints(Arguments a, CancellationToken ct)
    {
        var root = RepositoryRoot("train-checkpoints");
        var output = a.String("out", Path.Combine(root, "models", "generators", "checkpoints"))!;
        int steps = a.Int("steps", 1500), every = a.Int("every", 300);
        a.RejectUnknown();
        var names = Dif.Evaluation.GeneratorFamily.TrainCheckpoints(Path.Combine(root, "data", "photos", "denoiser-train"), output, steps, every,
            new SyncProgress<string>(Console.WriteLine), ct);
        Console.WriteLine($"Wrote {names.Count} checkpoints to {Path.GetFullPath(output)}: {string.Join(",", names)}");
        return 0;
    }

    private static int MakeDataset(Arguments a, CancellationToken ct)
    {
        var root = RepositoryRoot("make-dataset");
        var output = a.String("out", "out/eval")!;
        var generatorFolder = a.String("generators", Path.Combine(root, "models", "generators"))!;
        var options = new Dif.Evaluation.DatasetOptions
        {
            Size = a.Int("size", 256),
            TrainCount = a.Int("train", 128),
            TestCount = a.Int("test", 128),
            Strength = a.Double("strength", 1.0),
            Seed = a.Int("seed", 1),
            Conditions = a.String("conditions", "png,jpeg96")!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Dif.Evaluation.Condition.Parse).ToList(),
            TestOnlyConditions = a.String("robustness", "no") == "yes" ? Dif.Evaluation.Condition.Robustness : [],
        };
        var only = a.String("only", string.Join(",", Dif.Evaluation.GeneratorFamily.Names))!.Split(',', StringSplitOptions.RemoveEmptyEntries);
        a.RejectUnknown();
        // Known: the family, the periodic control, and any generator file in the folder (e.g. checkpoints).
        var known = Dif.Evaluation.GeneratorFamily.Names.Append(Dif.Evaluation.PeriodicTrace.TraceName)
            .Concat(Directory.Exists(generatorFolder) ? Directory.EnumerateFiles(generatorFolder, "*.safetensors").Select(f => Path.GetFileName(f)[..^".safetensors".Length]) : [])
            .Distinct().ToList();
        var unknown = only.Except(known).ToList();
        if (unknown.Count > 0) throw new UsageException($"unknown generator(s) {string.Join(", ", unknown)}; known: {string.Join(", ", known)}");
        // 'periodic' is a synthetic control with a known trace (PeriodicTrace), not a generator network.
        var generators = only.Select(n => n == Dif.Evaluation.PeriodicTrace.TraceName ? (Dif.Evaluation.IImageSynthesiser)new Dif.Evaluation.PeriodicTrace()
            : Dif.Evaluation.Generator.Load(Path.Combine(generatorFolder, n + ".safetensors"))).ToList();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int n = Dif.Evaluation.EvaluationDataset.Write(Path.Combine(root, "data", "photos", "evaluation"), generators, output, options,
                new SyncProgress<string>(Console.WriteLine), ct);
            Console.WriteLine($"Wrote {n} images to {Path.GetFullPath(output)} in {clock.Elapsed.TotalSeconds:F0} s.");
        }
        finally { foreach (var g in generators.OfType<IDisposable>()) g.Dispose(); }
        return 0;
    }

    private static int PreviewGenerators(Arguments a, CancellationToken ct)
    {
        var root = RepositoryRoot("preview-generators");
        var output = a.String("out", Path.Combine(root, "docs", "images"))!;
        var generatorFolder = a.String("generators", Path.Combine(root, "models", "generators"))!;
        a.RejectUnknown();
        var generators = Dif.Evaluation.GeneratorFamily.Names
            .Select(n => Dif.Evaluation.Generator.Load(Path.Combine(generatorFolder, n + ".safetensors"))).ToList();
        using var denoiser = Denoiser.LoadDefault();
        try { Dif.Evaluation.GeneratorPreview.Write(Path.Combine(root, "data", "photos", "evaluation"), generators, denoiser, output, cancellationToken: ct); }
        finally { foreach (var g in generators) g.Dispose(); }
        Console.WriteLine($"Wrote generators-side-by-side.png and generators-spectra.png to {output}.");
        return 0;
    }

    private static int Evaluate(Arguments a, CancellationToken ct)
    {
        // --real/--fake (or --folds): cross-validation on the user's own images instead of an evaluation set.
        if (a.All("real").Count > 0 || a.All("fake").Count > 0 || a.String("folds") is not null) return CrossValidationCommand.Run(a, ct);
        var data = a.String("data", "out/eval")!;
        var condition = a.String("condition", "png")!;
        var generators = a.String("generator", "tconv")!.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var trainCounts = a.Ints("train", "16,32,64,128");
        int testCount = a.Int("test", 128);
        var options = new ImageLoadOptions { CropSize = a.Int("size", 256), Harmonise = Harmonise(a) };
        var output = a.String("out", "out/report")!;
        var denoiserPath = a.String("denoiser");
        var defaults = new Dif.Fingerprinting.FingerprintFitOptions();
        int epochs = a.Int("epochs", defaults.Epochs);
        int batchSize = a.Int("batch", defaults.BatchSize);
        int minSteps = a.Int("min-steps", defaults.MinSteps);
        double learningRate = a.Double("lr", defaults.LearningRate);
        // Several fitting seeds: Dif is fitted once per seed on the same split (the spread is its stability).
        var seeds = a.Ints("seeds", defaults.Seed.ToString(CultureInfo.InvariantCulture));
        var cache = a.String("cache", Path.Combine(data, ".residual-cache"));
        if (cache == "none") cache = null;
        a.RejectUnknown();
        using var denoiser = LoadDenoiser(denoiserPath, null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<float[]> Load(string folder, int n)
        {
            var r = Dif.Evaluation.EvaluationHarness.Residuals(denoiser, folder, n, options, ct, cache);
            Console.Error.WriteLine($"residuals of {r.Count} images in {folder} ({clock.Elapsed.TotalSeconds:F0} s)");
            return r;
        }
        // Real residuals are shared by every generator's evaluation.
        var trainReal = Load(Dif.Evaluation.EvaluationDataset.RealFolder(data, condition, "train"), trainCounts.Max());
        var testReal = Load(Dif.Evaluation.EvaluationDataset.RealFolder(data, condition, "test"), testCount);
        // CalibrationFraction 0: both detectors fit on exactly the same images (accuracy and AUC do not use the calibration).
        Dif.Fingerprinting.FingerprintFitOptions Fit(int seed) => new()
            { Epochs = epochs, BatchSize = batchSize, MinSteps = minSteps, LearningRate = learningRate, Seed = seed, CalibrationFraction = 0 };
        var fitProgress = new SyncProgress<Dif.Fingerprinting.FingerprintFitProgress>(p =>
            { if (p.Epoch % 10 == 0 || p.Epoch == p.Epochs) Console.Error.WriteLine(FormattableString.Invariant($"  fingerprint epoch {p.Epoch}/{p.Epochs}: loss {p.Loss:F3}, rho real {p.RealCorrelation:F4}, rho generated {p.FakeCorrelation:F4} ({clock.Elapsed.TotalSeconds:F0} s)")); });
        Directory.CreateDirectory(output);
        foreach (var generator in generators)
        {
            var train = new LabelledResiduals(trainReal, Load(Dif.Evaluation.EvaluationDataset.FakeFolder(data, condition, "train", generator), trainCounts.Max()));
            var test = new LabelledResiduals(testReal, Load(Dif.Evaluation.EvaluationDataset.FakeFolder(data, condition, "test", generator), testCount));
            var report = Dif.Evaluation.EvaluationHarness.Run($"{generator}, {condition}",
                seeds.Select(seed => (Func<Dif.Fingerprinting.IResidualDetector>)(() => new Dif.Fingerprinting.DifFingerprintDetector(Fit(seed), fitProgress, seeds.Count > 1 ? $"seed {seed}" : null)))
                     .Append(() => new Dif.Fingerprinting.ResidualAveragingDetector()).ToList(),
                train, test, trainCounts, ct);
            var stem = Path.Combine(output, $"{generator}-{condition}");
            Dif.Persistence.AtomicFile.Write(stem + ".md", s => s.Write(System.Text.Encoding.UTF8.GetBytes(report.ToMarkdown())));
            Dif.Persistence.AtomicFile.Write(stem + ".json", s => s.Write(System.Text.Encoding.UTF8.GetBytes(report.ToJson())));
            var histograms = Dif.Evaluation.ScoreHistogram.WriteAll(report, output, $"{generator}-{condition}");
            Console.WriteLine(report.ToMarkdown());
            Console.WriteLine($"Written {stem}.md, {stem}.json and {histograms.Count} score histograms ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        return 0;
    }

    private static int DenoiserQualityCommand(Arguments a)
    {
        var photos = a.All("photos");
        if (photos.Count == 0) throw new UsageException("denoiser-quality needs --photos DIR");
        int crop = a.Int("crop", 256);
        double sigma = a.Double("sigma", 15);
        using var denoiser = LoadDenoiser(a.String("denoiser"), a.String("device"));
        a.RejectUnknown();
        var crops = ValidationCrops(photos, crop);
        var q = DenoiserEvaluation.Measure(denoiser, crops, sigma);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sigma {q.Sigma}: noisy {q.NoisyPsnr:F2} dB; DnCNN {q.DenoisedPsnr:F2} dB (gain {q.DenoiserGain:+0.00;-0.00}); 3x3 blur {q.BlurPsnr:F2} dB (gain {q.BlurGain:+0.00;-0.00}); {q.Images} crops"));
        return 0;
    }

    /// <summary>Four seeded random crops per photo, so PSNR covers more than the middle.</summary>
    internal static List<PreparedImage> ValidationCrops(IEnumerable<string> dirs, int size)
    {
        var photos = TrainingPhotos.Load(dirs);
        return photos.Crops(size, 4 * photos.Count, seed: 4242).ToList();
    }
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
