using System.Globalization;
using System.Reflection;
using Dif.Devices;
using Dif.Imaging;
using Dif.Persistence;
using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Denoising;

/// <summary>The arithmetic a <see cref="Denoiser"/> extracts residuals in.</summary>
public enum InferencePrecision
{
    /// <summary>32-bit floats: the reference; fingerprints are fitted on these residuals.</summary>
    Float32,
    /// <summary>bfloat16 weights and activations (8-bit mantissa), residuals returned as float32. About twice
    /// the images/s on CPUs with AVX-512 BF16 (docs/performance.md). The residuals differ from float32 ones by
    /// about 5% of their RMS; detection AUC stayed the same on the evaluation generators, but correlations move
    /// by about a tenth of the gap between a fingerprint's class centres, so a few verdicts near the boundary
    /// change. Opt-in for bulk screening; fingerprints are fitted in float32. Likely slower than float32 on
    /// CPUs without bf16 instructions.</summary>
    BFloat16,
}

/// <summary>A trained DnCNN residual extractor f_D together with its own bias pattern F_DnCNN
/// (docs/method.md §2.2): residual R = f_D(X) − F_DnCNN. Load one from a safetensors file, or use the
/// project's default. Scoring methods are safe to call from several threads (calls are serialised).</summary>
public sealed class Denoiser : IDisposable
{
    /// <summary>The <c>format</c> value in a denoiser file's metadata.</summary>
    public const string FileFormat = "dif-denoiser";
    /// <summary>The file format version this build writes and reads.</summary>
    public const int FormatVersion = 1;
    private const string BiasTensorName = "bias_pattern";
    private const string DefaultResourceName = "Dif.Models.dncnn-default.safetensors";

    private readonly object gate = new();
    private Tensor? bias;
    private Dictionary<string, string> metadata;

    internal Denoiser(DnCnn network, Device device, Tensor? biasPattern, Dictionary<string, string> metadata, string? identity)
    {
        Network = network;
        Device = device;
        bias = biasPattern;
        this.metadata = metadata;
        Identity = identity ?? ComputeIdentity();
        Network.to(device);
        Network.eval();
    }

    /// <summary>Creates an untrained denoiser (for training one of your own).</summary>
    public static Denoiser CreateUntrained(int seed = 1, string? device = null)
    {
        torch.manual_seed(seed);
        var net = new DnCnn();
        return new Denoiser(net, DeviceSpec.Resolve(device), null, new Dictionary<string, string>(), null);
    }

    internal DnCnn Network { get; }

    /// <summary>The device the network runs on.</summary>
    public Device Device { get; }

    /// <summary>Arithmetic of residual extraction (default <see cref="InferencePrecision.Float32"/>). Training
    /// always runs in float32. See <see cref="InferencePrecision.BFloat16"/> for what the faster mode costs.
    /// It applies to every caller of this instance: set it before sharing the denoiser, or load one per precision.</summary>
    public InferencePrecision Precision { get; set; } = InferencePrecision.Float32;

    /// <summary>SHA-256 of the weights and bias pattern: fingerprints record it, so a fingerprint is
    /// only used with the denoiser it was fitted with.</summary>
    public string Identity { get; private set; }

    /// <summary>Side of the stored bias pattern F_DnCNN, or null when none is stored yet.</summary>
    public int? BiasSize => bias is null ? null : (int)bias.shape[^1];

    /// <summary>Metadata from the file (architecture, training summary, PSNR figures...).</summary>
    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <summary>Loads a denoiser from a safetensors file written by <see cref="Save"/>.</summary>
    public static Denoiser Load(string path, string? device = null)
    {
        var (tensors, meta) = SafeTensors.Read(path);
        return FromTensors(tensors, meta, path, device);
    }

    /// <summary>The default denoiser trained by the project and shipped inside this assembly
    /// (docs/reference.md, "The default denoiser").</summary>
    public static Denoiser LoadDefault(string? device = null)
    {
        using var stream = typeof(Denoiser).Assembly.GetManifestResourceStream(DefaultResourceName)
            ?? throw new DifException("This build of Dif.MLNet carries no default denoiser (models/dncnn-default.safetensors was missing at build time). Train one with 'dif train-denoiser' or pass a denoiser file.");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        var (tensors, meta) = SafeTensors.Read(ms.ToArray(), "default denoiser (embedded)");
        return FromTensors(tensors, meta, "default denoiser (embedded)", device);
    }

    private static Denoiser FromTensors(Dictionary<string, SafeTensor> tensors, Dictionary<string, string> meta, string source, string? device)
    {
        if (!meta.TryGetValue("format", out var format) || format != FileFormat)
            throw new DifModelFileException(source, $"is not a Dif denoiser file (format '{format ?? "none"}', expected '{FileFormat}').");
        if (!meta.TryGetValue("format_version", out var version) || !int.TryParse(version, out var v) || v != FormatVersion)
            throw new DifModelFileException(source, $"has denoiser format version '{version ?? "none"}'; this Dif reads version {FormatVersion}.");
        if (!meta.TryGetValue("architecture", out var arch) || arch != DnCnnArchitecture.Name)
            throw new DifModelFileException(source, $"holds architecture '{arch ?? "none"}', expected '{DnCnnArchitecture.Name}'.");
        var expectedHash = ModuleWeights.ContentHash(tensors);
        if (meta.TryGetValue("content_sha256", out var stored) && stored != expectedHash)
            throw new DifModelFileException(source, "content does not match its recorded SHA-256 (the file is damaged or was altered).");

        var net = new DnCnn();
        ModuleWeights.Import(net, tensors, source, "");
        Tensor? biasPattern = null;
        if (tensors.TryGetValue(BiasTensorName, out var b))
        {
            if (b.Shape.Length != 3 || b.Shape[0] != 3 || b.Shape[1] != b.Shape[2])
                throw new DifModelFileException(source, $"bias pattern has shape [{string.Join(",", b.Shape)}], expected [3,S,S].");
            var values = b.ToFloats();
            if (values.Any(f => !float.IsFinite(f))) throw new DifModelFileException(source, "bias pattern holds non-finite values.");
            biasPattern = torch.tensor(values, b.Shape);
        }
        var resolved = DeviceSpec.Resolve(device);
        return new Denoiser(net, resolved, biasPattern?.to(resolved), meta, expectedHash);
    }

    /// <summary>Writes weights, bias pattern and metadata to a safetensors file (atomically).</summary>
    public void Save(string path)
    {
        var (tensors, meta) = ToFile();
        SafeTensors.Write(path, tensors, meta);
    }

    private (Dictionary<string, SafeTensor>, Dictionary<string, string>) ToFile()
    {
        var tensors = ModuleWeights.Export(Network);
        if (bias is not null) tensors[BiasTensorName] = ModuleWeights.ToSafeTensor(bias);
        var meta = new Dictionary<string, string>(metadata)
        {
            ["format"] = FileFormat,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["architecture"] = DnCnnArchitecture.Name,
            ["depth"] = DnCnnArchitecture.Depth.ToString(CultureInfo.InvariantCulture),
            ["features"] = DnCnnArchitecture.Features.ToString(CultureInfo.InvariantCulture),
            ["padding"] = DnCnnArchitecture.Padding.ToString(CultureInfo.InvariantCulture),
            ["bias_crop_size"] = BiasSize?.ToString(CultureInfo.InvariantCulture) ?? "",
            ["content_sha256"] = ModuleWeights.ContentHash(tensors),
        };
        return (tensors, meta);
    }

    private string ComputeIdentity() => ModuleWeights.ContentHash(ToFile().Item1);

    /// <summary>Sets a metadata entry written with the weights (training summary, figures).</summary>
    public void SetMetadata(string key, string value) => metadata[key] = value;

    /// <summary>The network's raw noise prediction f_D(X) for a batch N×3×H×W: zero-pad 10 px, run,
    /// crop back. No bias subtraction. Runs without autograd; the result is on <see cref="Device"/>.</summary>
    public Tensor PredictNoise(Tensor batch)
    {
        lock (gate)
        {
            using var _ = no_grad();
            int p = DnCnnArchitecture.Padding;
            using var onDevice = batch.to(Device);
            using var padded = nn.functional.pad(onDevice, [p, p, p, p], PaddingModes.Constant, 0);
            // CPU inference: channels-last layout and BatchNorm folded into the convs (docs/performance.md).
            bool cpu = Device.type == DeviceType.CPU;
            using var channelsLast = cpu ? ToChannelsLast(padded) : null;
            using var noise = Network.training ? Network.forward(padded)
                : Network.ForwardFolded(channelsLast ?? padded, cpu, Precision == InferencePrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32);
            long h = batch.shape[2], w = batch.shape[3];
            return noise[.., .., p..(int)(p + h), p..(int)(p + w)].contiguous();
        }
    }

    /// <summary>The same values in channels-last (NHWC) memory order, still indexed N×C×H×W (for 4-d tensors:
    /// images or conv weights). On the CPU, oneDNN runs a 3×3 convolution on such a tensor directly; from the
    /// default (NCHW) order it converts every layer's input and output. With BatchNorm folded
    /// (<see cref="DnCnn.ForwardFolded"/>), measured with <c>Dif.Bench ab-dncnn</c> at 256², batch 1: about 1.3×
    /// the images/s of the plain NCHW forward, values equal within 1e-6 (tests/Dif.MLNet.Tests/Performance).</summary>
    internal static Tensor ToChannelsLast(Tensor nchw)
    {
        using var scope = NewDisposeScope();
        return nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>Residuals R = f_D(X) − F_DnCNN for a batch N×3×H×W (bias subtracted when H = W = its size).</summary>
    public Tensor ExtractResiduals(Tensor batch)
    {
        var noise = PredictNoise(batch);
        if (bias is not null && noise.shape[2] == bias.shape[1] && noise.shape[3] == bias.shape[2])
        {
            var r = noise.MinusInPlace(bias);
            return r;
        }
        return noise;
    }

    /// <summary>The residual of one prepared image, as 3×S×S floats. A residual holding NaN or infinity
    /// (the network overflowed) raises a <see cref="DifImageException"/> naming the image.</summary>
    public float[] ExtractResidual(PreparedImage image) => ExtractResiduals([image])[0];

    /// <summary>Residuals of several prepared images of equal size, computed as one batch. A residual holding
    /// NaN or infinity raises a <see cref="DifImageException"/> naming its image.</summary>
    public float[][] ExtractResiduals(IReadOnlyList<PreparedImage> images)
    {
        var result = ExtractResidualsUnchecked(images);
        for (int i = 0; i < result.Length; i++)
            if (NonFinite(result[i], images[i].Source) is { } e) throw e;
        return result;
    }

    /// <summary>The error for a residual with NaN or infinite values, or null when every value is finite.
    /// Only a denoiser whose weights make it overflow produces one; scoring it would give NaN silently.</summary>
    internal static DifImageException? NonFinite(float[] residual, string source)
    {
        int first = Fingerprinting.Correlation.FirstNonFinite(residual);
        if (first < 0) return null;
        int bad = residual.Count(v => !float.IsFinite(v));
        return new DifImageException(source,
            $"its residual holds {bad} non-finite values (NaN or infinity, the first at index {first}): the denoiser overflowed on it; check the denoiser file.");
    }

    /// <summary>Residuals of a batch without the finiteness check (callers check each one themselves).</summary>
    internal float[][] ExtractResidualsUnchecked(IReadOnlyList<PreparedImage> images)
    {
        if (images.Count == 0) return [];
        int s = images[0].Size;
        if (images.Any(i => i.Size != s)) throw new ArgumentException("All images in a batch must have the same crop size.");
        using var scope = NewDisposeScope();
        var flat = new float[images.Count * 3 * s * s];
        for (int i = 0; i < images.Count; i++) Array.Copy(images[i].Pixels, 0, flat, i * 3 * s * s, 3 * s * s);
        var batch = torch.tensor(flat, [images.Count, 3, s, s]);
        var residuals = ExtractResiduals(batch).cpu();
        var all = residuals.data<float>().ToArray();
        var result = new float[images.Count][];
        for (int i = 0; i < images.Count; i++) result[i] = all.AsSpan(i * 3 * s * s, 3 * s * s).ToArray();
        return result;
    }

    /// <summary>Sets F_DnCNN to the mean raw noise prediction over <paramref name="cleanImages"/> (the
    /// denoiser's own real training images, at one size S), computed in batches.</summary>
    public void ComputeBiasPattern(IEnumerable<PreparedImage> cleanImages, int batchSize = 4, CancellationToken cancellationToken = default)
    {
        Tensor? sum = null;
        long count = 0;
        int? size = null;
        foreach (var chunk in cleanImages.Chunk(batchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            size ??= chunk[0].Size;
            if (chunk.Any(c => c.Size != size)) throw new ArgumentException("All bias images must have the same size.");
            using var scope = NewDisposeScope();
            var flat = chunk.SelectMany(c => c.Pixels).ToArray();
            var batch = torch.tensor(flat, [chunk.Length, 3, size.Value, size.Value]);
            var noise = PredictNoise(batch).sum(dim: 0);
            if (sum is null) sum = noise.MoveToOuterDisposeScope();
            else sum.PlusInPlace(noise);
            count += chunk.Length;
        }
        if (sum is null || count == 0) throw new ArgumentException("No images were given for the bias pattern.");
        bias?.Dispose();
        using var n = Dif.Training.Scalars.Of(count);
        bias = sum.div_(n);
        Identity = ComputeIdentity();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Network.Dispose();
        bias?.Dispose();
    }
}
