using System.Runtime.InteropServices;

namespace Dif.Devices;

/// <summary>Process-wide native settings that make Dif fast and quiet on CPU: glibc's allocator keeps DnCNN's
/// large activations on the heap, and libtorch's NNPACK notices are silenced. Loading Dif.MLNet changes
/// nothing by itself: a host opts in by calling <see cref="ConfigureProcess"/> once, before its first libtorch
/// call. The dif CLI, the PowerShell module, the benchmark and the examples do; a web service or another
/// library's host can leave its allocator alone and pay the page faults instead (measured in
/// <c>Dif.Bench ab-dncnn</c>).</summary>
public static class NativeSetup
{
    /// <summary>glibc's largest allowed mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX).</summary>
    private const int MmapThresholdMax = 32 << 20;
    /// <summary>The size of the heaps of glibc's per-thread arenas on 64-bit systems (HEAP_MAX_SIZE).</summary>
    private const int PerThreadHeapSize = 64 << 20;
    private const int MallocTrimThreshold = -1, MallocTopPad = -2, MallocMmapThreshold = -3, MallocMmapMax = -4;

    private static int configured;

    /// <summary>True once <see cref="ConfigureProcess"/> has run in this process.</summary>
    public static bool IsConfigured => Volatile.Read(ref configured) == 1;

    /// <summary>Applies the settings (idempotent; later calls do nothing). Call it before the first libtorch
    /// call: glibc's allocator settings only help blocks allocated after them. DIF_MALLOC_TUNING=0 in the
    /// environment leaves the allocator alone (for A/B measurement); a TORCH_CPP_LOG_LEVEL already set wins.</summary>
    public static void ConfigureProcess()
    {
        if (Interlocked.Exchange(ref configured, 1) == 1) return;
        QuietNnpack();
        KeepActivationsOnTheHeap();
    }

    /// <summary>libtorch prints "Could not initialize NNPACK! Reason: Unsupported hardware." for many
    /// convolutions of a batch of 16 or more on CPUs NNPACK does not support (it then falls back, correctly).
    /// Setting TORCH_CPP_LOG_LEVEL alone quieted the CLI but not the PowerShell module, where the notices kept
    /// coming even with the variable set before pwsh started (3,072 lines in examples/lineage.ps1).
    /// <c>c10::initLogging</c> applies the variable whenever it is called, so we set it (a user's own value
    /// wins) and call it. Loading libc10 here is cheap; if it cannot load (e.g. an old libstdc++), TorchSharp
    /// reports that itself later.</summary>
    private static void QuietNnpack()
    {
        try
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                _ = setenv("TORCH_CPP_LOG_LEVEL", "ERROR", 0);
                InitC10Logging();
            }
            else if (Environment.GetEnvironmentVariable("TORCH_CPP_LOG_LEVEL") is null)
                Environment.SetEnvironmentVariable("TORCH_CPP_LOG_LEVEL", "ERROR"); // MSVC mangles c10::initLogging otherwise
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException) { }
    }

    /// <summary>A DnCNN activation at 256² is ~20 MB. glibc serves blocks that large with a fresh mmap and
    /// unmaps them on free, so every layer of every image page-faults its memory in again (an evaluation run
    /// here spent about a third of its CPU time in the kernel; the benchmark is where to measure it). Raising
    /// the mmap threshold to glibc's maximum and not trimming the heap keeps those blocks for reuse.
    /// Blocks over that maximum (32 MB) would still be mmapped and faulted in afresh on every use: a batch of 8
    /// images at 256² has 156 MB activations, and measured with <c>Dif.Bench ab-dncnn --batch 8</c> it ran at
    /// 6.7 CPU-seconds per image against 0.77 with mmap off (glibc.malloc.mmap_max=0), most of the difference in
    /// the kernel. So mmap is not used for the heap at all (M_MMAP_MAX = 0); glibc still falls back to it if the
    /// heap cannot grow. That reaches threads on glibc's main arena (the CLI's). Other threads, such as a pwsh
    /// runspace's, have arenas of 64 MB heaps that glibc unmaps as soon as one is empty, whatever the trim
    /// threshold; a top pad of a whole heap keeps them (Get-DifResidual on 32 images: 820k page faults without
    /// it, 84–94k with it; bench/powershell.sh compares the cmdlets with the CLI). Blocks over 64 MB on such
    /// threads (a fit's batch activations) are still mmapped: docs/performance.md, "PowerShell against the CLI", gives the setting for that.
    /// DIF_MALLOC_TUNING=0 turns all of this off (for A/B measurement).</summary>
    private static void KeepActivationsOnTheHeap()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("DIF_MALLOC_TUNING") == "0") return;
        try
        {
            _ = mallopt(MallocMmapThreshold, MmapThresholdMax);
            _ = mallopt(MallocTrimThreshold, int.MaxValue);
            _ = mallopt(MallocMmapMax, 0);
            _ = mallopt(MallocTopPad, PerThreadHeapSize);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);

    /// <summary><c>c10::initLogging()</c> (Itanium C++ name): reads TORCH_CPP_LOG_LEVEL into c10's log level.</summary>
    [DllImport("c10", EntryPoint = "_ZN3c1011initLoggingEv")]
    private static extern void InitC10Logging();
}
