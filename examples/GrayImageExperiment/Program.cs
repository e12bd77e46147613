// The published code's "blank experiment": fit the fingerprint network g_θ to output a flat gray image and
// picture what it outputs along the way. Any structure is the architecture's own: the up-sampling grid of
// the transposed convolutions and the boundary artifacts of zero padding. Runs every architecture of the
// supplement's Table C (U-Net, C-Net, D-Net, U1-Net) so you can see which artifact comes from where.
// Run from the repository root (the defaults below made docs/images/gray-experiment, about 15 minutes on
// 2 busy cores; the published run is 128×128, 1000 epochs, lr 5e-5, i.e. GrayImageExperimentOptions' defaults):
//   dotnet run -c Release --project examples/GrayImageExperiment -- [out docs/images/gray-experiment] [size 64] [epochs 100] [architectures unet,cnet,dnet,u1net] [lr 1e-3]
using System.Diagnostics;
using System.Globalization;
using Dif.Fingerprinting;

// This program owns its process: opt in to Dif's native settings (allocator, libtorch logging) first.
Dif.Devices.NativeSetup.ConfigureProcess();

var output = args.Length > 0 ? args[0] : Path.Combine("docs", "images", "gray-experiment");
int size = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
int epochs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
var architectures = (args.Length > 3 ? args[3] : "unet,cnet,dnet,u1net").Split(',').Select(FingerprintNetworks.Parse).ToList();
// 20× the published learning rate, so that a few hundred steps on a CPU get as near gray as the published 1000 on a GPU.
double learningRate = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 1e-3;
// A few snapshots, early to late: the pattern appears within the first steps and settles as the loss falls.
int[] snapshots = [1, 10, Math.Max(1, epochs * 3 / 10), epochs];

foreach (var architecture in architectures)
{
    var name = FingerprintNetworks.DisplayName(architecture);
    var folder = Path.Combine(output, name.ToLowerInvariant().Replace("-", ""));
    var clock = Stopwatch.StartNew();
    var options = new GrayImageExperimentOptions { Size = size, Epochs = epochs, SnapshotEpochs = snapshots, Architecture = architecture, LearningRate = learningRate };
    var progress = new Progress(s => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-7} epoch {s.Epoch,5}: loss {s.Loss:E2}, rms deviation from gray {s.RmsDeviation:E2}  ({clock.Elapsed.TotalSeconds:F0} s)")));
    GrayImageExperiment.Run(options, folder, progress);
    Console.WriteLine($"{name}: pictures in {Path.GetFullPath(folder)} (montage.png: deviations above spectra, one column per snapshot)");
}
return 0;

/// <summary>Reports on the calling thread, in order.</summary>
sealed class Progress(Action<GrayImageSnapshot> report) : IProgress<GrayImageSnapshot>
{
    public void Report(GrayImageSnapshot value) => report(value);
}
