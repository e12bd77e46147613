// Dif in an ML.NET pipeline, end to end: fit a fingerprint from labelled image files, evaluate it on
// held-out files, save it, and score a new image with the reloaded fingerprint.
// Run from the repository root after ./run.sh (which makes out/demo/data):
//   dotnet run --project examples/FingerprintPipeline -- out/demo/data/png tconv [epochs 100] [crop 256]
using Dif.Fingerprinting;
using Dif.MLNet;
using Microsoft.ML;

// This program owns its process: opt in to Dif's native settings (allocator, libtorch logging) first.
Dif.Devices.NativeSetup.ConfigureProcess();

var root = args.Length > 0 ? args[0] : Path.Combine("out", "demo", "data", "png");
var generator = args.Length > 1 ? args[1] : "tconv";
int epochs = args.Length > 2 ? int.Parse(args[2]) : 100;
int cropSize = args.Length > 3 ? int.Parse(args[3]) : 256;
if (!Directory.Exists(root)) { Console.Error.WriteLine($"{root} not found: run ./run.sh first (it makes out/demo/data)."); return 1; }

List<ImageFile> Split(string split) =>
    [.. Directory.GetFiles(Path.Combine(root, split, "real")).Order().Select(p => new ImageFile { Path = p, Label = false }),
     .. Directory.GetFiles(Path.Combine(root, split, "fake", generator)).Order().Select(p => new ImageFile { Path = p, Label = true })];

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(Split("train"));
var test = ml.Data.LoadFromEnumerable(Split("test"));

// Residuals (DnCNN) then the fingerprint trainer; the trainer reads every residual once and caches it.
// The residual extractor reads the Path column itself, so an unreadable image is reported by file name.
var pipeline = ml.Transforms.ExtractDifResidual("Residual", "Path", cropSize)
    .Append(ml.BinaryClassification.Trainers.DifFingerprint(new DifFingerprintTrainerOptions
    {
        LabelColumnName = "Label",
        ResidualColumnName = "Residual",
        Fit = new FingerprintFitOptions { Epochs = epochs },
        Name = generator,
        Progress = new Progress<FingerprintFitProgress>(p =>
        {
            if (p.Epoch % 10 == 0) Console.WriteLine($"  epoch {p.Epoch}/{p.Epochs}: loss {p.Loss:F3}");
        }),
    }));
var model = pipeline.Fit(train);

var metrics = ml.BinaryClassification.Evaluate(model.Transform(test), labelColumnName: "Label");
Console.WriteLine($"Held-out accuracy {metrics.Accuracy:P1}, AUC {metrics.AreaUnderRocCurve:F3}, log-loss {metrics.LogLoss:F3}");

// ML.NET cannot serialise third-party transformers; the fingerprint is saved on its own and the
// scoring pipeline is rebuilt around it (README, "Saving models").
var fingerprint = model.LastTransformer.Fingerprint;
var path = Path.Combine("out", $"{generator}.dif.safetensors");
Directory.CreateDirectory("out");
fingerprint.Save(path);

var scorer = ml.Transforms.ExtractDifResidual("Residual", "Path", cropSize)
    .Append(ml.Transforms.ScoreDifFingerprint(Fingerprint.Load(path)))
    .Fit(test);
var engine = ml.Model.CreatePredictionEngine<ImageFile, ImageVerdict>(scorer);
var first = Split("test")[^1];
var v = engine.Predict(first);
Console.WriteLine($"{Path.GetFileName(first.Path)}: {v.Verdict} (P(generated) = {v.Probability:F3}, score {v.Score:F5}); saved {path}");
return 0;

internal sealed class ImageFile
{
    public string Path { get; set; } = "";
    public bool Label { get; set; }
}

internal sealed class ImageVerdict
{
    public string Verdict { get; set; } = "";
    public float Probability { get; set; }
    public float Score { get; set; }
}
