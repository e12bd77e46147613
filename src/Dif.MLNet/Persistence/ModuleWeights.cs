using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Persistence;

/// <summary>Moves a TorchSharp module's parameters and buffers to and from safetensors entries,
/// checking names, shapes and values on the way in.</summary>
public static class ModuleWeights
{
    /// <summary>One float tensor (any device) as a float32 safetensors entry.</summary>
    public static SafeTensor ToSafeTensor(Tensor t)
    {
        using var cpu = t.detach().cpu().contiguous();
        return SafeTensor.FromFloats(cpu.to_type(ScalarType.Float32).data<float>().ToArray(), cpu.shape);
    }

    /// <summary>The module's state (parameters and buffers) as safetensors entries, prefixed.</summary>
    public static Dictionary<string, SafeTensor> Export(nn.Module module, string prefix = "")
    {
        var result = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var (name, t) in module.state_dict())
        {
            using var cpu = t.detach().cpu().contiguous();
            var shape = cpu.shape;
            result[prefix + name] = cpu.dtype == ScalarType.Int64
                ? SafeTensor.FromInt64(cpu.data<long>().ToArray(), shape)
                : SafeTensor.FromFloats(cpu.to_type(ScalarType.Float32).data<float>().ToArray(), shape);
        }
        return result;
    }

    /// <summary>Loads entries named <paramref name="prefix"/>+state name into the module. Every state
    /// entry must be present with the right shape and finite values; <paramref name="source"/> names
    /// the file in errors.</summary>
    public static void Import(nn.Module module, IReadOnlyDictionary<string, SafeTensor> tensors, string? source, string prefix = "")
    {
        using var _ = no_grad();
        foreach (var (name, target) in module.state_dict())
        {
            if (!tensors.TryGetValue(prefix + name, out var entry))
                throw new DifModelFileException(source, $"tensor '{prefix + name}' is missing (the file is incomplete or for another architecture).");
            if (!entry.Shape.SequenceEqual(target.shape))
                throw new DifModelFileException(source, $"tensor '{prefix + name}' has shape [{string.Join(",", entry.Shape)}], expected [{string.Join(",", target.shape)}].");
            if (target.dtype == ScalarType.Int64)
            {
                var longs = entry.DType == SafeTensorDType.I64 ? entry.ToInt64() : entry.ToFloats().Select(f => (long)f).ToArray();
                using var src = tensor(longs, target.shape);
                target.copy_(src);
            }
            else
            {
                // Integers where weights belong mean a foreign or forged file, not a format to convert.
                if (entry.DType == SafeTensorDType.I64)
                    throw new DifModelFileException(source, $"tensor '{prefix + name}' is I64; weights are F32 or F16.");
                var floats = entry.ToFloats();
                for (int i = 0; i < floats.Length; i++)
                    if (!float.IsFinite(floats[i]))
                        throw new DifModelFileException(source, $"tensor '{prefix + name}' holds a non-finite value (NaN or infinity) at index {i}.");
                using var src = tensor(floats, target.shape);
                target.copy_(src);
            }
        }
    }

    /// <summary>SHA-256 over names, types, shapes and bytes of the entries, in name order: the
    /// content identity written into and checked against a file's metadata.</summary>
    public static string ContentHash(IReadOnlyDictionary<string, SafeTensor> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, t) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name}|{t.DType}|{string.Join(",", t.Shape)}|"));
            sha.AppendData(t.Data);
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
