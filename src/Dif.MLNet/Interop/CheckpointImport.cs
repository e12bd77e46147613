using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Dif.Denoising;
using Dif.Devices;
using Dif.Fingerprinting;
using Dif.Persistence;
using TorchSharp;

namespace Dif.Interop;

/// <summary>What a PyTorch checkpoint holds, for <see cref="CheckpointImport"/>.</summary>
public enum CheckpointKind
{
    /// <summary>Decide from the content: a dict with a <c>Fingerprint</c> tensor is a fingerprint, a state
    /// dict with <c>dncnn.N.weight</c> tensors a denoiser.</summary>
    Auto,
    /// <summary>A DnCNN-S state dict (optionally with a bias pattern from a second file).</summary>
    Denoiser,
    /// <summary>A fingerprint checkpoint of the published DIF code.</summary>
    Fingerprint,
}

/// <summary>Options of <see cref="CheckpointImport"/>.</summary>
public sealed class CheckpointImportOptions
{
    /// <summary>What the checkpoint holds (default: decided from its content).</summary>
    public CheckpointKind Kind { get; set; } = CheckpointKind.Auto;

    /// <summary>Denoiser only: a file holding the bias pattern F_DnCNN (the published code's <c>clean_real.npy</c>,
    /// H×W×3; or a checkpoint with one 3×S×S tensor). Without it the denoiser has no bias pattern and its
    /// residuals are the raw noise prediction (compute one with <see cref="Denoiser.ComputeBiasPattern"/>).</summary>
    public string? BiasPatternPath { get; set; }

    /// <summary>Fingerprint only: its name (default: the file's stem, or its folder's name for the published
    /// <c>MODEL/chk_N.pt</c> layout).</summary>
    public string? Name { get; set; }

    /// <summary>Fingerprint only: the identity of the denoiser its residuals came from, if known (e.g. of the
    /// published DnCNN imported with this class). Null records "unknown", which any denoiser passes.</summary>
    public string? DenoiserIdentity { get; set; }

    /// <summary>Fingerprint only: how many of the last logged batch means make each class centre (the published code: 20).</summary>
    public int CentreWindow { get; set; } = 20;

    /// <summary>Fingerprint only: the probability of "generated" the imported calibration gives a residual
    /// that correlates exactly at the generated centre (see <see cref="CheckpointImport.ImportedCalibration"/>).</summary>
    public double ProbabilityAtCentre { get; set; } = 0.9;

    /// <summary>Denoiser only: device for the imported network (auto, cpu, cuda...).</summary>
    public string? Device { get; set; }
}

/// <summary>What <see cref="CheckpointImport.Convert"/> wrote.</summary>
/// <param name="Kind">Denoiser or fingerprint.</param>
/// <param name="Source">The checkpoint read.</param>
/// <param name="OutputPath">The safetensors file written.</param>
/// <param name="Description">One line for people: what was imported and what was assumed.</param>
/// <param name="DenoiserIdentity">For a denoiser, its identity (fingerprints fitted with it record it); for a
/// fingerprint, the identity it records (null: unknown).</param>
/// <param name="Fingerprint">The imported fingerprint (null for a denoiser).</param>
public sealed record CheckpointImportResult(CheckpointKind Kind, string Source, string OutputPath, string Description,
                                            string? DenoiserIdentity, Fingerprint? Fingerprint);

/// <summary>Turns PyTorch checkpoints of the published DIF code (and DnCNN state dicts in general) into
/// Dif's files, reading them with <see cref="TorchCheckpoint"/>: no pickle code runs.</summary>
public static partial class CheckpointImport
{
    /// <summary><see cref="ScoreCalibration.Source"/> of an imported fingerprint's calibration.</summary>
    public const string ImportedCalibrationSource = "imported";

    /// <summary>Reads <paramref name="checkpointPath"/> and writes the Dif file (denoiser or fingerprint
    /// safetensors) to <paramref name="outputPath"/>, atomically. One call for scripts and cmdlets.</summary>
    public static CheckpointImportResult Convert(string checkpointPath, string outputPath, CheckpointImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(checkpointPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        options ??= new CheckpointImportOptions();
        var checkpoint = TorchCheckpoint.Load(checkpointPath);
        var kind = options.Kind == CheckpointKind.Auto ? DetectKind(checkpoint) : options.Kind;
        if (kind == CheckpointKind.Denoiser)
        {
            using var denoiser = ImportDenoiser(checkpoint, options.BiasPatternPath, options.Device);
            denoiser.Save(outputPath);
            var bias = denoiser.BiasSize is { } s ? $"bias pattern {s}×{s} from {options.BiasPatternPath}" : "no bias pattern (residuals are the raw noise prediction)";
            return new CheckpointImportResult(kind, checkpointPath, outputPath,
                $"DnCNN-S denoiser, identity {denoiser.Identity[..16]}…, {bias}.", denoiser.Identity, null);
        }
        // A bias pattern belongs to a denoiser; silently dropping it would leave the user believing it was applied.
        if (options.BiasPatternPath is not null)
            throw new DifModelFileException(checkpointPath,
                $"holds a fingerprint, and a bias pattern ({options.BiasPatternPath}) only applies to a denoiser checkpoint; import the denoiser with it instead, or leave the bias pattern out.");
        var fingerprint = ImportFingerprint(checkpoint, options);
        fingerprint.Save(outputPath);
        return new CheckpointImportResult(kind, checkpointPath, outputPath, string.Create(CultureInfo.InvariantCulture,
            $"fingerprint '{fingerprint.Name}' {fingerprint.Size}×{fingerprint.Size}, centres real {fingerprint.RealCentre:G6}, generated {fingerprint.FakeCentre:G6} " +
            $"(means of the last {options.CentreWindow} logged batches); calibration {ImportedCalibrationSource} (slope {fingerprint.Calibration.Slope:G4}: " +
            $"P = {options.ProbabilityAtCentre:0.##} at the generated centre); denoiser {(fingerprint.DenoiserIdentity is { } id ? id[..Math.Min(16, id.Length)] + "…" : "unknown")}."),
            fingerprint.DenoiserIdentity, fingerprint);
    }

    /// <summary>What the checkpoint holds, from its content; a <see cref="DifModelFileException"/> if neither.</summary>
    public static CheckpointKind DetectKind(TorchCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.Root is PickleDict d && d.TryGetValue("Fingerprint", out var f) && f is TorchTensor) return CheckpointKind.Fingerprint;
        if (FindDnCnn(checkpoint).Count > 0) return CheckpointKind.Denoiser;
        throw new DifModelFileException(checkpoint.Source,
            $"holds neither a DIF fingerprint (a dict with a 'Fingerprint' tensor) nor a DnCNN state dict ('dncnn.N.weight' tensors). It holds:{Environment.NewLine}{checkpoint.Describe(40)}");
    }

    // ---------------------------------------------------------------- denoiser

    /// <summary>Builds a denoiser from a DnCNN-S state dict (keys <c>dncnn.N.*</c>, optionally under a prefix
    /// such as <c>module.</c> or <c>denoiser.</c>, or inside a dict under one key), and optionally a bias
    /// pattern F_DnCNN from a second file. The shapes must be DnCNN-S's (17 layers, 64 features, RGB).</summary>
    public static Denoiser ImportDenoiser(string checkpointPath, string? biasPatternPath = null, string? device = null)
        => ImportDenoiser(TorchCheckpoint.Load(checkpointPath), biasPatternPath, device);

    /// <summary>As <see cref="ImportDenoiser(string, string?, string?)"/>, from a checkpoint already read.</summary>
    public static Denoiser ImportDenoiser(TorchCheckpoint checkpoint, string? biasPatternPath = null, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var source = checkpoint.Source;
        var found = FindDnCnn(checkpoint);
        if (found.Count == 0)
            throw new DifModelFileException(source, $"holds no DnCNN state dict (no 'dncnn.N.weight' tensors). It holds:{Environment.NewLine}{checkpoint.Describe(40)}");
        if (found.Count > 1)
            throw new DifModelFileException(source, $"holds several DnCNN state dicts (under {string.Join(", ", found.Select(x => $"'{x.Prefix}'"))}); save the one you mean on its own.");
        var (dict, prefix) = found[0];

        (float[] Values, int Size)? biasPattern = biasPatternPath is null ? null : ReadBiasPattern(biasPatternPath);
        torch.manual_seed(0);   // weights are overwritten; a fixed seed keeps construction deterministic
        var net = new DnCnn();
        try
        {
            var expected = net.state_dict().Select(kv => (kv.Key, Shape: kv.Value.shape, IsLong: kv.Value.dtype == torch.ScalarType.Int64)).ToList();
            var expectedNames = expected.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var key in dict.StringKeys.Where(k => k.StartsWith(prefix + "dncnn.", StringComparison.Ordinal)))
                if (!expectedNames.Contains(key[prefix.Length..]))
                    throw new DifModelFileException(source, $"tensor '{key}' is not part of DnCNN-S ({DnCnnArchitecture.Depth} conv layers, {DnCnnArchitecture.Features} features, 3×3, no conv bias); this is another architecture.");
            var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
            foreach (var (name, shape, isLong) in expected)
            {
                if (!dict.TryGetValue(prefix + name, out var value))
                {
                    // PyTorch before 0.4.1 saved no num_batches_tracked; it is unused at inference.
                    if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) { tensors[name] = SafeTensor.FromInt64([0]); continue; }
                    throw new DifModelFileException(source, $"tensor '{prefix + name}' is missing (the state dict is incomplete or of another architecture).");
                }
                if (value is not TorchTensor t) throw new DifModelFileException(source, $"'{prefix + name}' is a {PickleText.TypeName(value)}, not a tensor.");
                if (!t.Shape.SequenceEqual(shape))
                    throw new DifModelFileException(source, $"tensor '{prefix + name}' has shape [{string.Join(",", t.Shape)}], expected [{string.Join(",", shape)}] (DnCNN-S, RGB).");
                if (isLong)
                    tensors[name] = t.IsFloatingPoint ? throw new DifModelFileException(source, $"tensor '{prefix + name}' should hold integers.") : SafeTensor.FromInt64(t.ToInt64(), t.Shape);
                else
                    tensors[name] = t.IsFloatingPoint ? SafeTensor.FromFloats(t.ToFloats(), t.Shape) : throw new DifModelFileException(source, $"tensor '{prefix + name}' is {t.DType}, not floating point.");
            }
            ModuleWeights.Import(net, tensors, source);
            var metadata = new Dictionary<string, string>
            {
                ["imported_from"] = Path.GetFileName(source),
                ["imported_sha256"] = FileHash(source),
                ["imported_state_dict_prefix"] = prefix,
            };
            if (biasPatternPath is not null)
            {
                metadata["imported_bias_from"] = Path.GetFileName(biasPatternPath);
                metadata["bias_crop_size"] = biasPattern!.Value.Size.ToString(CultureInfo.InvariantCulture);
            }
            var resolved = DeviceSpec.Resolve(device);
            var bias = biasPattern is { } b ? torch.tensor(b.Values, [3, b.Size, b.Size]).to(resolved) : null;
            return new Denoiser(net, resolved, bias, metadata, null);
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    private static string FileHash(string path)
    {
        if (!File.Exists(path)) return "";
        using var s = File.OpenRead(path);
        return System.Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>Dicts holding <c>PREFIXdncnn.N.weight</c> tensors, with their prefix.</summary>
    private static List<(PickleDict Dict, string Prefix)> FindDnCnn(TorchCheckpoint checkpoint)
    {
        var result = new List<(PickleDict, string)>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        void Walk(object? value, int depth)
        {
            if (depth > 4 || value is not PickleDict d || !seen.Add(d)) return;
            var prefixes = d.StringKeys.Select(k => DnCnnKey().Match(k)).Where(m => m.Success && d.TryGetValue(m.Value, out var v) && v is TorchTensor)
                .Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
            foreach (var p in prefixes) result.Add((d, p));
            foreach (var (_, v) in d.Items) Walk(v, depth + 1);
        }
        Walk(checkpoint.Root, 0);
        return result;
    }

    [GeneratedRegex(@"^(.*?)dncnn\.\d+\.weight$")]
    private static partial Regex DnCnnKey();

    /// <summary>Reads F_DnCNN from a .npy (H×W×3, as the published code keeps it, or 3×H×W) or a torch
    /// checkpoint holding one such tensor; returned as 3×S×S values.</summary>
    public static (float[] Values, int Size) ReadBiasPattern(string path)
    {
        long[] shape;
        float[] values;
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var npy = NpyArray.Load(path);
            (shape, values) = (npy.Shape, npy.Values);
        }
        else
        {
            var checkpoint = TorchCheckpoint.Load(path);
            var tensors = checkpoint.Tensors();
            if (tensors.Count != 1)
                throw new DifModelFileException(path, $"should hold one bias-pattern tensor but holds {tensors.Count}.");
            (shape, values) = (tensors[0].Tensor.Shape, tensors[0].Tensor.ToFloats());
        }
        if (shape.Length == 4 && shape[0] == 1) shape = shape[1..];
        int size;
        if (shape.Length == 3 && shape[0] == 3 && shape[1] == shape[2]) size = (int)shape[1];
        else if (shape.Length == 3 && shape[2] == 3 && shape[0] == shape[1])
        {
            size = (int)shape[0];
            values = HwcToChw(values, size);
        }
        else throw new DifModelFileException(path, $"bias pattern has shape [{string.Join(",", shape)}]; expected S×S×3 or 3×S×S.");
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) throw new DifModelFileException(path, "bias pattern holds non-finite values.");
        return (values, size);
    }

    private static float[] HwcToChw(float[] hwc, int size)
    {
        var chw = new float[hwc.Length];
        int plane = size * size;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                chw[c * plane + p] = hwc[p * 3 + c];
        return chw;
    }

    // ---------------------------------------------------------------- fingerprint

    /// <summary>Builds a fingerprint from a checkpoint of the published DIF code: a dict with
    /// <c>Fingerprint</c> (1×3×S×S), <c>Train Real</c> and <c>Train Fake</c> (per-batch mean correlations).
    /// The centres are the means of the last <see cref="CheckpointImportOptions.CentreWindow"/> logged values,
    /// as the published code computes them; the calibration is <see cref="ImportedCalibration"/>, since the
    /// checkpoint holds none.</summary>
    public static Fingerprint ImportFingerprint(string checkpointPath, CheckpointImportOptions? options = null)
        => ImportFingerprint(TorchCheckpoint.Load(checkpointPath), options);

    /// <summary>As <see cref="ImportFingerprint(string, CheckpointImportOptions?)"/>, from a checkpoint already read.</summary>
    public static Fingerprint ImportFingerprint(TorchCheckpoint checkpoint, CheckpointImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        options ??= new CheckpointImportOptions();
        if (options.CentreWindow < 1) throw new ArgumentException("CentreWindow must be at least 1.");
        var source = checkpoint.Source;
        if (checkpoint.Root is not PickleDict root || !root.TryGetValue("Fingerprint", out var f) || f is not TorchTensor tensor)
            throw new DifModelFileException(source, $"is not a DIF fingerprint checkpoint (a dict with a 'Fingerprint' tensor). It holds:{Environment.NewLine}{checkpoint.Describe(40)}");
        var shape = tensor.Shape.Length == 4 && tensor.Shape[0] == 1 ? tensor.Shape[1..] : tensor.Shape;
        if (shape.Length != 3 || shape[0] != 3 || shape[1] != shape[2])
            throw new DifModelFileException(source, $"'Fingerprint' has shape [{string.Join(",", tensor.Shape)}]; expected 1×3×S×S.");
        int size = (int)shape[1];
        if (size < 16 || size % 16 != 0)
            throw new DifModelFileException(source, $"'Fingerprint' is {size}×{size}; Dif's fingerprints are a multiple of 16 on a side.");
        if (!tensor.IsFloatingPoint) throw new DifModelFileException(source, $"'Fingerprint' is {tensor.DType}, not floating point.");
        var pattern = tensor.ToFloats();
        for (int i = 0; i < pattern.Length; i++)
            if (!float.IsFinite(pattern[i])) throw new DifModelFileException(source, "'Fingerprint' holds non-finite values.");

        double realCentre = Centre(root, "Train Real", options.CentreWindow, source);
        double fakeCentre = Centre(root, "Train Fake", options.CentreWindow, source);
        if (realCentre == fakeCentre)
            throw new DifModelFileException(source, "has equal real and generated centres, so it cannot tell the classes apart.");
        var calibration = ImportedCalibration(realCentre, fakeCentre, options.ProbabilityAtCentre);
        return new Fingerprint(pattern, size, realCentre, fakeCentre, calibration, options.DenoiserIdentity, null, options.Name ?? DefaultName(source));
    }

    /// <summary>The calibration given to an imported fingerprint, whose checkpoint records no held-out scores:
    /// the logistic slope a with P(generated) = <paramref name="probabilityAtCentre"/> for a residual whose
    /// correlation equals the generated centre, i.e. at score |μ_fake − μ_real|/2:
    /// a = 2·ln(p/(1−p)) / |μ_fake − μ_real|. Verdicts and labels do not depend on it (P = 0.5 stays at the
    /// midpoint); only how confident probabilities sound. Refit it on labelled residuals with
    /// <see cref="ScoreCalibration.Fit"/> and <see cref="Fingerprint.WithCalibration"/> when you have some.</summary>
    public static ScoreCalibration ImportedCalibration(double realCentre, double fakeCentre, double probabilityAtCentre = 0.9)
    {
        if (probabilityAtCentre is <= 0.5 or >= 1 || double.IsNaN(probabilityAtCentre))
            throw new ArgumentException("The probability at the centre must be in (0.5, 1).");
        double gap = Math.Abs(fakeCentre - realCentre);
        if (!(gap > 0) || !double.IsFinite(gap)) throw new ArgumentException("The centres must differ.");
        double slope = 2 * Math.Log(probabilityAtCentre / (1 - probabilityAtCentre)) / gap;
        return new ScoreCalibration(slope, ImportedCalibrationSource, 0);
    }

    private static double Centre(PickleDict root, string key, int window, string source)
    {
        if (!root.TryGetValue(key, out var value))
            throw new DifModelFileException(source, $"has no '{key}' list, so its class centres cannot be known.");
        double[] logged = value switch
        {
            List<object?> list => list.Select(x => x switch
            {
                double d => d,
                long l => l,
                TorchTensor { ElementCount: 1, IsFloatingPoint: true } t => t.ToDoubles()[0],
                _ => throw new DifModelFileException(source, $"'{key}' holds a {PickleText.TypeName(x)}, not a number."),
            }).ToArray(),
            TorchTensor { Shape.Length: 1, IsFloatingPoint: true } t => t.ToDoubles(),
            _ => throw new DifModelFileException(source, $"'{key}' is a {PickleText.TypeName(value)}, not a list of correlations."),
        };
        if (logged.Length == 0) throw new DifModelFileException(source, $"'{key}' is empty, so its class centre cannot be known.");
        var centre = logged.TakeLast(window).Average();
        return double.IsFinite(centre) ? centre : throw new DifModelFileException(source, $"'{key}' holds non-finite values.");
    }

    private static string DefaultName(string source)
    {
        var stem = Path.GetFileNameWithoutExtension(source);
        // The published code keeps checkpoints as MODEL/chk_EPOCH.pt: the folder names the model.
        if (CheckpointStem().IsMatch(stem) && Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(source))) is { Length: > 0 } folder)
            return folder;
        return stem;
    }

    [GeneratedRegex(@"^chk_\d+$")]
    private static partial Regex CheckpointStem();
}
