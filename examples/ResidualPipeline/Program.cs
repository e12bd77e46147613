// Dif in an ML.NET pipeline: load image files, extract DnCNN residuals, read them back.
// Run from the repository root:  dotnet run --project examples/ResidualPipeline -- data/photos/evaluation
using Dif.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

// This program owns its process: opt in to Dif's native settings (allocator, libtorch logging) first.
Dif.Devices.NativeSetup.ConfigureProcess();

var folder = args.Length > 0 ? args[0] : Path.Combine("data", "photos", "evaluation");
var files = Directory.GetFiles(folder).Order().Select(p => new ImageFile { Path = p }).ToList();

var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(files);
var pipeline = ml.Transforms.LoadRawImageBytes("Image", imageFolder: null, inputColumnName: "Path")
    .Append(ml.Transforms.ExtractDifResidual("Residual", "Image", cropSize: 256));

var model = pipeline.Fit(data);
var residuals = model.Transform(data);
Console.WriteLine($"Residual column: {residuals.Schema["Residual"].Type}");

foreach (var row in ml.Data.CreateEnumerable<ResidualRow>(residuals, reuseRowObject: false))
{
    double rms = Math.Sqrt(row.Residual.Average(v => (double)v * v));
    Console.WriteLine($"{Path.GetFileName(row.Path),-24} residual RMS {rms * 255:F2} / 255");
}

internal sealed class ImageFile
{
    public string Path { get; set; } = "";
}

internal sealed class ResidualRow
{
    public string Path { get; set; } = "";

    [VectorType]
    public float[] Residual { get; set; } = [];
}
