// The evaluation harness as a small program: Dif's fingerprint and the residual-averaging baseline fitted
// on identical splits of labelled folders, for several training sizes, reported as Markdown and JSON.
// Run from the repository root after making a set (dif make-dataset, or ./run.sh which makes out/demo/data):
//   dotnet run --project examples/EvaluationHarness -- out/demo/data/png tconv 8,16,32 [crop 256] [epochs 100] [batch 16]
// The `dif evaluate` command does the same with residual caching and more options.
using Dif.Denoising;
using Dif.Evaluation;
using Dif.Fingerprinting;
using Dif.Imaging;

if (args.Length < 3) { Console.Error.WriteLine("usage: EvaluationHarness SET_FOLDER GENERATOR N1,N2,... [crop] [epochs] [batch]"); return 2; }
var root = args[0];
var generator = args[1];
var trainCounts = args[2].Split(',').Select(int.Parse).ToList();
int crop = args.Length > 3 ? int.Parse(args[3]) : 256;
int epochs = args.Length > 4 ? int.Parse(args[4]) : 100;
int batch = args.Length > 5 ? int.Parse(args[5]) : 16;

using var denoiser = Denoiser.LoadDefault();

// This program owns its process: opt in to Dif's native settings (allocator, libtorch logging) first.
Dif.Devices.NativeSetup.ConfigureProcess();
var options = new ImageLoadOptions { CropSize = crop };
LabelledResiduals Load(string split, int n) => new(
    EvaluationHarness.Residuals(denoiser, Path.Combine(root, split, "real"), n, options),
    EvaluationHarness.Residuals(denoiser, Path.Combine(root, split, "fake", generator), n, options));
var train = Load("train", trainCounts.Max());
var test = Load("test", int.MaxValue);
Console.Error.WriteLine($"{train.Real.Count}+{train.Fake.Count} training and {test.Real.Count}+{test.Fake.Count} test residuals.");

// Identical splits: the fingerprint's calibration share is 0 so both detectors fit on the same images.
var fit = new FingerprintFitOptions { Epochs = epochs, BatchSize = batch, CalibrationFraction = 0 };
var report = EvaluationHarness.Run($"{generator} ({root})",
    [() => new DifFingerprintDetector(fit), () => new ResidualAveragingDetector()], train, test, trainCounts);
Console.WriteLine(report.ToMarkdown());
Directory.CreateDirectory("out");
File.WriteAllText(Path.Combine("out", $"harness-{generator}.json"), report.ToJson());
ScoreHistogram.WriteAll(report, "out", $"harness-{generator}");
Console.WriteLine($"JSON and score histograms written to {Path.GetFullPath("out")}.");
return 0;
