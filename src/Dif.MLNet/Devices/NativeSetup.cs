using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dif.Devices;

/// <summary>Runs once when Dif.MLNet loads, before any libtorch call.</summary>
internal static class NativeSetup
{
    [ModuleInitializer]
    internal static void Initialise()
    {
        // libtorch prints "Could not initialize NNPACK! Reason: Unsupported hardware." for every
        // batch-1 convolution on CPUs NNPACK does not support (it then falls back, correctly).
        // c10 reads its log level from the process environment when libtorch loads; a user's own
        // TORCH_CPP_LOG_LEVEL wins (overwrite = 0).
        if (Environment.GetEnvironmentVariable("TORCH_CPP_LOG_LEVEL") is not null) return;
        try
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = setenv("TORCH_CPP_LOG_LEVEL", "ERROR", 0);
            else Environment.SetEnvironmentVariable("TORCH_CPP_LOG_LEVEL", "ERROR");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
