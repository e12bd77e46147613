using System.Globalization;
using System.Text.Json;
using Dif.Denoising;
using Dif.Imaging;
using Dif.Persistence;
using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Evaluation;

/// <summary>A named evaluation generator (<see cref="GeneratorNet"/>) with its file format: the fakes
/// of Dif's evaluation data come from these.</summary>
public sealed class Generator : IDisposable, IImageSynthesiser
{
    /// <summary>The <c>format</c> value of a generator file.</summary>
    public const string FileFormat = "dif-generator";
    private readonly Dictionary<string, string> metadata;

    private Generator(string name, GeneratorNet network, Dictionary<string, string> metadata)
    {
        Name = name;
        Network = network;
        this.metadata = metadata;
        Network.eval();
    }

    /// <summary>A new, untrained generator; weights drawn from <paramref name="seed"/>.</summary>
    public static Generator Create(string name, Upsampling upsampling, int seed)
    {
        torch.manual_seed(seed);
        return new Generator(name, new GeneratorNet(upsampling), new Dictionary<string, string> { ["seed"] = seed.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>Name (also the fake folder's suffix in datasets).</summary>
    public string Name { get; }

    /// <summary>Decoder up-sampling kind.</summary>
    public Upsampling Upsampling => Network.Upsampling;

    internal GeneratorNet Network { get; }

    /// <summary>File metadata (seed, training summary, parent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <summary>A copy under another name (same weights): the start of a fine-tuned child.</summary>
    public Generator Derive(string name)
    {
        var child = new Generator(name, new GeneratorNet(Upsampling), new Dictionary<string, string>(metadata) { ["parent"] = Name });
        ModuleWeights.Import(child.Network, ModuleWeights.Export(Network), Name);
        return child;
    }

    /// <summary>Sets a metadata entry.</summary>
    public void SetMetadata(string key, string value) => metadata[key] = value;

    /// <summary>The generator's re-synthesis of <paramref name="image"/> (3×S×S in [0,1], S a multiple of 4).</summary>
    public float[] Generate(PreparedImage image)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = torch.tensor(image.Pixels, [1, 3, image.Size, image.Size]);
        return Network.forward(x).clamp_(0, 1).data<float>().ToArray();
    }

    /// <summary>Trains the generator to reconstruct crops of <paramref name="photos"/> (L1 loss, Adam).
    /// <paramref name="checkpoint"/>, if given, is called with the steps done every
    /// <see cref="GeneratorTrainingOptions.CheckpointEvery"/> steps (the generator is in evaluation mode
    /// during the call, so it may <see cref="Save"/> or <see cref="Generate"/>): the snapshots of one
    /// training run for checkpoint lineage.</summary>
    public void Train(TrainingPhotos photos, GeneratorTrainingOptions options, IProgress<(int Step, double Loss)>? progress = null,
                      CancellationToken cancellationToken = default, Action<int>? checkpoint = null)
    {
        // A frozen parameter gets no gradient, and AdamW skips parameters without one.
        var frozen = options.FreezeDecoder ? Network.DecoderParameters().ToList() : [];
        foreach (var w in frozen) w.requires_grad_(false);
        try { TrainSteps(photos, options, progress, cancellationToken, checkpoint); }
        finally { foreach (var w in frozen) w.requires_grad_(true); }
    }

    private void TrainSteps(TrainingPhotos photos, GeneratorTrainingOptions options, IProgress<(int Step, double Loss)>? progress,
                            CancellationToken cancellationToken, Action<int>? checkpoint)
    {
        int p = options.PatchSize, n = options.BatchSize;
        var buffer = new float[n * 3 * p * p];
        using var adam = new AdamW(Network, options.LearningRate);
        double lossSum = 0;
        for (int step = 0; step < options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Network.train();
            photos.SamplePatches(new Random(StepSeeds.Of(options.Seed, step, 2)), n, p, buffer);
            using var scope = NewDisposeScope();
            var x = torch.tensor(buffer, [n, 3, p, p]);
            var loss = Network.forward(x).Minus(x).abs().mean();
            adam.ZeroGrad();
            loss.backward();
            adam.Step();
            lossSum += loss.item<float>();
            if ((step + 1) % 50 == 0) { progress?.Report((step + 1, lossSum / 50)); lossSum = 0; }
            if (checkpoint is not null && options.CheckpointEvery > 0 && (step + 1) % options.CheckpointEvery == 0)
            {
                Network.eval();
                var saved = new Dictionary<string, string>(metadata);
                RecordTraining(photos, options, step + 1);
                checkpoint(step + 1);
                metadata.Clear();
                foreach (var (k, v) in saved) metadata[k] = v;
            }
        }
        Network.eval();
        RecordTraining(photos, options, options.Steps);
    }

    private void RecordTraining(TrainingPhotos photos, GeneratorTrainingOptions options, int stepsDone)
    {
        var history = metadata.TryGetValue("training", out var t) ? t + " | " : "";
        var record = new Dictionary<string, object>
        {
            ["steps"] = stepsDone, ["patch"] = options.PatchSize, ["batch"] = options.BatchSize, ["lr"] = options.LearningRate,
            ["seed"] = options.Seed, ["loss"] = "L1", ["photos"] = photos.Paths.Select(Path.GetFileName).ToArray(),
        };
        // Only when set, so the records of whole-network training (the bundled files) stay as they were.
        if (options.FreezeDecoder) record["decoder"] = "frozen";
        metadata["training"] = history + JsonSerializer.Serialize(record);
    }

    /// <summary>Writes the generator as safetensors (atomically), under <paramref name="name"/> if given
    /// (a checkpoint's name) or its own.</summary>
    public void Save(string path, string? name = null)
    {
        var tensors = ModuleWeights.Export(Network);
        var meta = new Dictionary<string, string>(metadata)
        {
            ["format"] = FileFormat,
            ["format_version"] = "1",
            ["name"] = name ?? Name,
            ["upsampling"] = Upsampling.ToString(),
            ["content_sha256"] = ModuleWeights.ContentHash(tensors),
        };
        SafeTensors.Write(path, tensors, meta);
    }

    /// <summary>Loads a generator written by <see cref="Save"/>.</summary>
    public static Generator Load(string path)
    {
        var (tensors, meta) = SafeTensors.Read(path);
        if (!meta.TryGetValue("format", out var f) || f != FileFormat)
            throw new DifModelFileException(path, $"is not a Dif generator file (format '{f ?? "none"}').");
        if (!meta.TryGetValue("upsampling", out var u) || !Enum.TryParse<Upsampling>(u, out var upsampling))
            throw new DifModelFileException(path, $"names an unknown up-sampling '{u}'.");
        if (meta.TryGetValue("content_sha256", out var hash) && hash != ModuleWeights.ContentHash(tensors))
            throw new DifModelFileException(path, "content does not match its recorded SHA-256.");
        var net = new GeneratorNet(upsampling);
        ModuleWeights.Import(net, tensors, path);
        return new Generator(meta.GetValueOrDefault("name", Path.GetFileNameWithoutExtension(path)), net, meta);
    }

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();
}

/// <summary>How long and on what a generator is trained.</summary>
public sealed class GeneratorTrainingOptions
{
    /// <summary>Side of training crops (a multiple of 4).</summary>
    public int PatchSize { get; set; } = 64;
    /// <summary>Crops per step.</summary>
    public int BatchSize { get; set; } = 8;
    /// <summary>Steps.</summary>
    public int Steps { get; set; } = 400;
    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; set; } = 1e-3;
    /// <summary>Seed of the crops.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Train the encoder only and keep the decoder's weights (the up-sampling layers) as they are:
    /// how DreamBooth-style fine-tunes of a latent diffusion model leave its VAE decoder untouched.</summary>
    public bool FreezeDecoder { get; set; }
    /// <summary>Steps between checkpoint callbacks (0: none).</summary>
    public int CheckpointEvery { get; set; }
}
