using Dif.Devices;
using Dif.Imaging;
using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Fingerprinting;

/// <summary>Options of the <see cref="GrayImageExperiment"/>. Defaults are the published code's
/// (<c>blank_experiment.py</c>): 128×128, 1000 steps, AdamW lr 5e-5, Z = 0.1·U[0,1) with N(0, 0.03²) jitter.</summary>
public sealed class GrayImageExperimentOptions
{
    /// <summary>Side S of the gray image (a multiple of 16).</summary>
    public int Size { get; set; } = 128;
    /// <summary>Optimisation steps ("epochs": the data set is one image).</summary>
    public int Epochs { get; set; } = 1000;
    /// <summary>Epochs after which the output is recorded (default: every 100th, as published, and the last).</summary>
    public IReadOnlyList<int>? SnapshotEpochs { get; set; }
    /// <summary>The flat gray value the network learns to output.</summary>
    public double Gray { get; set; } = 0.5;
    /// <summary>AdamW learning rate.</summary>
    public double LearningRate { get; set; } = 5e-5;
    /// <summary>AdamW weight decay (PyTorch's default, which the published code keeps).</summary>
    public double WeightDecay { get; set; } = 0.01;
    /// <summary>Scale of the fixed noise input: Z = NoiseScale·U[0,1).</summary>
    public double NoiseScale { get; set; } = 0.1;
    /// <summary>Standard deviation of the fresh noise added to Z at every step.</summary>
    public double NoiseJitter { get; set; } = 0.03;
    /// <summary>The network whose own artifacts are shown.</summary>
    public FingerprintArchitecture Architecture { get; set; } = FingerprintArchitecture.UNet;
    /// <summary>Seed of Z, the weights and the jitter.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Device: auto, cpu, cuda or cuda:N.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>The snapshot epochs in force: <see cref="SnapshotEpochs"/> or every 100th and the last, within 1..Epochs.</summary>
    public IReadOnlyList<int> Snapshots()
        => (SnapshotEpochs ?? Enumerable.Range(1, Epochs / 100).Select(k => 100 * k).Append(Epochs).ToList())
            .Where(e => e >= 1 && e <= Epochs).Distinct().Order().ToList();

    /// <summary>Throws <see cref="ArgumentException"/> for values out of range.</summary>
    public void Validate()
    {
        if (Size < 16 || Size % 16 != 0) throw new ArgumentException($"Size must be a positive multiple of 16; got {Size}.");
        if (Epochs < 1) throw new ArgumentException("Epochs must be at least 1.");
        if (LearningRate <= 0 || WeightDecay < 0 || NoiseScale < 0 || NoiseJitter < 0) throw new ArgumentException("LearningRate must be positive; WeightDecay and noise not negative.");
        if (Gray is <= -1 or >= 1) throw new ArgumentException("Gray must be inside tanh's range (−1, 1).");
        if (!Enum.IsDefined(Architecture)) throw new ArgumentException($"Unknown architecture {Architecture}.");
    }
}

/// <summary>The network's output at one epoch of the <see cref="GrayImageExperiment"/>.</summary>
/// <param name="Epoch">Steps done.</param>
/// <param name="Loss">Mean squared error to the gray image at that step.</param>
/// <param name="Output">g_θ(Z), 3×S×S, channel-major (no jitter, batch statistics as in fitting).</param>
/// <param name="Size">S.</param>
/// <param name="Gray">The target value.</param>
public sealed record GrayImageSnapshot(int Epoch, double Loss, float[] Output, int Size, double Gray)
{
    /// <summary>Output minus the gray target: the architecture's own pattern.</summary>
    public float[] Deviation() => Output.Select(v => (float)(v - Gray)).ToArray();

    /// <summary>Root-mean-square deviation from the gray target.</summary>
    public double RmsDeviation => Math.Sqrt(Output.Average(v => (v - Gray) * (v - Gray)));
}

/// <summary>The published code's "blank experiment": fit g_θ (from its fixed noise input, as in fingerprint
/// fitting) to reproduce a flat gray image, and look at what it outputs along the way. Whatever structure
/// the output has is the architecture's own: the grid of transposed-convolution up-sampling and the
/// boundary artifacts of zero padding (the method's premise is that a generator's up-sampling leaves such
/// patterns; this shows g_θ can express them). Run it for each <see cref="FingerprintArchitecture"/> to
/// see which artifact comes from where.</summary>
public static class GrayImageExperiment
{
    /// <summary>Runs the experiment and returns the snapshots; with <paramref name="outputFolder"/>, writes per
    /// snapshot <c>epoch-NNNN-output.png</c> (the output as an image), <c>-deviation.png</c> (output − gray,
    /// ±3σ to black/white) and <c>-spectrum.png</c> (log |FFT| of the output, centred), and <c>montage.png</c>
    /// (deviations above spectra, one column per snapshot; sizes under 128 enlarged to 128).</summary>
    public static IReadOnlyList<GrayImageSnapshot> Run(GrayImageExperimentOptions? options = null, string? outputFolder = null,
                                                      IProgress<GrayImageSnapshot>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = options ?? new GrayImageExperimentOptions();
        o.Validate();
        var snapshotAt = o.Snapshots().ToHashSet();
        if (outputFolder is not null) Directory.CreateDirectory(outputFolder);
        var device = DeviceSpec.Resolve(o.Device);
        torch.manual_seed(o.Seed);
        using var net = FingerprintNetworks.Create(o.Architecture);
        net.to(device);
        using var adam = new AdamW(net, o.LearningRate, o.WeightDecay);
        using var noiseScale = Scalars.Of(o.NoiseScale);
        using var jitter = Scalars.Of(o.NoiseJitter);
        using var gray = Scalars.Of(o.Gray);
        using var z = torch.rand(FingerprintNetworks.InputShape(o.Architecture, o.Size), generator: null).mul_(noiseScale).to(device);
        var snapshots = new List<GrayImageSnapshot>();
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double loss;
            using (var scope = NewDisposeScope())
            {
                net.train();
                using var gen = new torch.Generator((ulong)StepSeeds.Of(o.Seed, epoch, 6));
                var f = net.forward(z.Plus(torch.randn(z.shape, generator: gen).mul_(jitter).to(device)));
                var d = f.Minus(torch.full_like(f, gray));
                var l = d.mul(d).mean();
                adam.ZeroGrad();
                l.backward();
                adam.Step();
                loss = l.item<float>();
            }
            if (!snapshotAt.Contains(epoch)) continue;
            float[] output;
            using (var scope = NewDisposeScope())
            using (torch.no_grad())
                output = net.forward(z).cpu().contiguous().data<float>().ToArray();
            var snapshot = new GrayImageSnapshot(epoch, loss, output, o.Size, o.Gray);
            snapshots.Add(snapshot);
            if (outputFolder is not null) WritePictures(snapshot, outputFolder);
            progress?.Report(snapshot);
        }
        if (outputFolder is not null && snapshots.Count > 0) WriteMontage(snapshots, Path.Combine(outputFolder, "montage.png"), zoom: Math.Max(1, 128 / o.Size));
        return snapshots;
    }

    /// <summary>Writes a snapshot's output, deviation and spectrum PNGs into <paramref name="folder"/> (names start with <paramref name="prefix"/>).</summary>
    public static void WritePictures(GrayImageSnapshot snapshot, string folder, string prefix = "")
    {
        int s = snapshot.Size;
        var stem = Path.Combine(folder, $"{prefix}epoch-{snapshot.Epoch:D4}");
        ImageWriter.SaveUnit(snapshot.Output, s, s, stem + "-output.png");
        ImageWriter.SaveSigned(snapshot.Deviation(), s, s, stem + "-deviation.png");
        ImageWriter.SaveUnit(Spectrum.LogMagnitude(snapshot.Output, s), s, s, stem + "-spectrum.png");
    }

    /// <summary>One picture of the run: a column per snapshot, the deviation (±3σ) above the spectrum, 4 px white gaps;
    /// <paramref name="zoom"/> enlarges every pixel to zoom×zoom (nearest neighbour), for small sizes.</summary>
    public static void WriteMontage(IReadOnlyList<GrayImageSnapshot> snapshots, string path, int zoom = 1)
    {
        if (snapshots.Count == 0) throw new ArgumentException("No snapshots.");
        if (zoom < 1) throw new ArgumentOutOfRangeException(nameof(zoom));
        int size = snapshots[0].Size, s = size * zoom, gap = 4;
        if (snapshots.Any(x => x.Size != size)) throw new ArgumentException("Snapshots differ in size.");
        int width = snapshots.Count * s + (snapshots.Count - 1) * gap, height = 2 * s + gap;
        var canvas = new float[3 * width * height];
        Array.Fill(canvas, 1f);
        for (int k = 0; k < snapshots.Count; k++)
        {
            Paste(canvas, width, height, Zoom(SignedToUnit(snapshots[k].Deviation()), size, zoom), s, k * (s + gap), 0);
            Paste(canvas, width, height, Zoom(Spectrum.LogMagnitude(snapshots[k].Output, size), size, zoom), s, k * (s + gap), s + gap);
        }
        ImageWriter.SaveUnit(canvas, width, height, path);
    }

    private static float[] Zoom(float[] chw, int size, int zoom)
    {
        if (zoom == 1) return chw;
        int big = size * zoom;
        var result = new float[3 * big * big];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < big; y++)
                for (int x = 0; x < big; x++)
                    result[c * big * big + y * big + x] = chw[c * size * size + (y / zoom) * size + x / zoom];
        return result;
    }

    private static float[] SignedToUnit(float[] v, double stdDevs = 3)
    {
        double mean = v.Average(x => (double)x);
        double std = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
        double scale = std > 0 ? 1.0 / (2 * stdDevs * std) : 0;
        return v.Select(x => (float)(0.5 + (x - mean) * scale)).ToArray();
    }

    private static void Paste(float[] canvas, int width, int height, float[] tile, int s, int left, int top)
    {
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < s; y++)
                Array.Copy(tile, c * s * s + y * s, canvas, c * width * height + (top + y) * width + left, s);
    }
}
