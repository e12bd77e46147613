using TorchSharp;

namespace Dif.Devices;

/// <summary>Turns a user's device choice (<c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) into a
/// TorchSharp device, failing clearly when CUDA is asked for and absent.</summary>
public static class DeviceSpec
{
    /// <summary>The default choice: CUDA when this build and machine have it, else CPU.</summary>
    public const string Auto = "auto";

    /// <summary>Resolves <paramref name="spec"/> (case-insensitive; null or empty means auto).</summary>
    public static torch.Device Resolve(string? spec)
    {
        var s = string.IsNullOrWhiteSpace(spec) ? Auto : spec.Trim().ToLowerInvariant();
        if (s == Auto) return CudaAvailable() ? torch.CUDA : torch.CPU;
        if (s == "cpu") return torch.CPU;
        if (s == "cuda" || s.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (s.Length > 4 && (!int.TryParse(s.AsSpan(5), out index) || index < 0))
                throw new DifDeviceException(spec, $"Device '{spec}' is not valid: use auto, cpu, cuda or cuda:N.");
            if (!CudaAvailable())
                throw new DifDeviceException(spec,
                    $"Device '{spec}' was requested but CUDA is not available: this build uses the CPU libtorch backend " +
                    "or no NVIDIA GPU/driver was found. Use -Device cpu (or auto), or build with -p:DifTorchBackend=cuda on a CUDA machine (README, 'GPU').");
            var count = torch.cuda.device_count();
            if (index >= count)
                throw new DifDeviceException(spec, $"Device '{spec}' was requested but this machine has {count} CUDA device(s).");
            return new torch.Device(DeviceType.CUDA, index);
        }
        throw new DifDeviceException(spec, $"Device '{spec}' is not valid: use auto, cpu, cuda or cuda:N.");
    }

    private static bool CudaAvailable()
    {
        try { return torch.cuda.is_available(); }
        catch (Exception) { return false; }
    }
}
