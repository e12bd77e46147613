using System.Globalization;
using System.Security.Cryptography;
using Dif.Persistence;
using Dif.Training;
using static TorchSharp.torch;

namespace Dif.Fingerprinting;

/// <summary>Checkpoints of a fingerprint fit: network and optimiser state, Z, the EMA fingerprint and the
/// logged means the centres come from, in safetensors. A run key (hash of the data and every option that
/// shapes the run) ties a checkpoint to its fit, so a stale file is refused instead of silently mixed in.</summary>
internal static class FingerprintCheckpoint
{
    public const string Format = "dif-fingerprint-checkpoint";

    /// <summary>SHA-256 of crop size, the options that change the trajectory (not Epochs: a run may be
    /// extended) and every residual value.</summary>
    public static string RunKey(FingerprintFitOptions o, int size, IReadOnlyList<float[]> real, IReadOnlyList<float[]> fake)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{size}|{real.Count}|{fake.Count}|{o.BatchSize}|{o.LearningRate:R}|{o.WeightDecay:R}|{o.Margin:R}|{o.NoiseScale:R}|{o.NoiseJitter:R}|{o.EmaDecay:R}|{o.CentreWindow}|{o.Boost}|{o.Seed}|{o.CalibrationFraction:R}");
        if (o.Architecture != FingerprintArchitecture.UNet) text += "|" + o.Architecture;   // U-Net keys stay as they were
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(text));
        foreach (var r in real.Concat(fake)) sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.AsSpan()));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public static void Save(string path, FitState state, TorchSharp.torch.nn.Module net, AdamW adam, Tensor z)
    {
        var tensors = ModuleWeights.Export(net, "model.");
        foreach (var (k, v) in adam.ExportState()) tensors[k] = v;
        tensors["z"] = Floats(z);
        tensors["ema"] = Floats(state.Ema!);
        SafeTensors.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["format_version"] = "1",
            ["run_key"] = state.RunKey,
            ["epoch"] = state.Epoch.ToString(CultureInfo.InvariantCulture),
            ["real_log"] = string.Join(",", state.RealLog.Select(x => x.ToString("R", CultureInfo.InvariantCulture))),
            ["fake_log"] = string.Join(",", state.FakeLog.Select(x => x.ToString("R", CultureInfo.InvariantCulture))),
        });
    }

    public static void Load(string path, FitState state, TorchSharp.torch.nn.Module net, AdamW adam, Tensor z, Device device)
    {
        var (tensors, meta) = SafeTensors.Read(path);
        if (!meta.TryGetValue("format", out var f) || f != Format)
            throw new DifModelFileException(path, "is not a Dif fingerprint checkpoint.");
        if (!meta.TryGetValue("run_key", out var key) || key != state.RunKey)
            throw new DifModelFileException(path, "is a checkpoint of another fit (different images or options); delete it, or fit without resuming to overwrite it.");
        try
        {
            ModuleWeights.Import(net, tensors, path, "model.");
            adam.ImportState(tensors, path);
            using (no_grad())
            {
                using var storedZ = Tensor(tensors, "z", z.shape, path);
                z.copy_(storedZ);
            }
            using var ema = Tensor(tensors, "ema", [1, 3, z.shape[2], z.shape[3]], path);
            state.Ema = ema.to(device, copy: true);
            state.Epoch = int.Parse(meta["epoch"], CultureInfo.InvariantCulture);
            state.RealLog.AddRange(Doubles(meta["real_log"]));
            state.FakeLog.AddRange(Doubles(meta["fake_log"]));
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or OverflowException)
        {
            throw new DifModelFileException(path, "checkpoint metadata is damaged.", e);
        }
    }

    private static IEnumerable<double> Doubles(string text)
        => text.Length == 0 ? [] : text.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture));

    private static SafeTensor Floats(Tensor t)
    {
        using var cpu = t.detach().cpu().contiguous();
        return SafeTensor.FromFloats(cpu.data<float>().ToArray(), cpu.shape);
    }

    private static Tensor Tensor(IReadOnlyDictionary<string, SafeTensor> tensors, string name, long[] shape, string path)
    {
        if (!tensors.TryGetValue(name, out var e) || !e.Shape.SequenceEqual(shape))
            throw new DifModelFileException(path, $"checkpoint entry '{name}' is missing or has the wrong shape.");
        var values = e.ToFloats();
        if (values.Any(v => !float.IsFinite(v))) throw new DifModelFileException(path, $"checkpoint entry '{name}' holds non-finite values.");
        return tensor(values, shape);
    }
}
