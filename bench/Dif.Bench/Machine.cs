using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Bench;

/// <summary>What the machine is and what it can do: CPU description, memory readings of this process, and
/// three fp32 ceilings: the FMA peak (a vector FMA loop on every thread, no memory traffic: the hardware's
/// limit at the clock it runs now), libtorch's sgemm and libtorch's best 3×3 convolution.</summary>
internal static class Machine
{
    public static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }

    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
    }

    public static long MemoryBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException) { return 0; }
    }

    /// <summary>A field of /proc/self/status in bytes (VmRSS: resident now; VmHWM: peak resident).</summary>
    public static long Status(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        return Environment.WorkingSet; // not Linux: the working set, the nearest thing
    }

    public static string VectorIsa => Avx512F.IsSupported ? "AVX-512 FMA" : Fma.IsSupported ? "AVX2 FMA" : "scalar";

    /// <summary>fp32 FLOP/s of independent vector FMAs on <paramref name="threads"/> threads at once, for about
    /// <paramref name="seconds"/>. 16 accumulators hide the FMA latency; nothing touches memory.</summary>
    public static double FmaPeak(int threads, double seconds)
    {
        if (!Avx512F.IsSupported && !Fma.IsSupported) return double.NaN;
        FmaLoop(1000); // JIT
        var results = new double[threads];
        var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            long flops = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds) flops += FmaLoop(2_000_000);
            results[i] = flops / clock.Elapsed.TotalSeconds;
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return results.Sum();
    }

    // Fully optimised from the first call: tier-0 code would keep the accumulators on the stack and
    // understate the peak.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long FmaLoop(int iterations)
    {
        if (Avx512F.IsSupported)
        {
            var a = Vector512.Create(0.999999f);
            var b = Vector512.Create(1e-7f);
            Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
                             c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Avx512F.FusedMultiplyAdd(c0, a, b); c1 = Avx512F.FusedMultiplyAdd(c1, a, b);
                c2 = Avx512F.FusedMultiplyAdd(c2, a, b); c3 = Avx512F.FusedMultiplyAdd(c3, a, b);
                c4 = Avx512F.FusedMultiplyAdd(c4, a, b); c5 = Avx512F.FusedMultiplyAdd(c5, a, b);
                c6 = Avx512F.FusedMultiplyAdd(c6, a, b); c7 = Avx512F.FusedMultiplyAdd(c7, a, b);
                c8 = Avx512F.FusedMultiplyAdd(c8, a, b); c9 = Avx512F.FusedMultiplyAdd(c9, a, b);
                c10 = Avx512F.FusedMultiplyAdd(c10, a, b); c11 = Avx512F.FusedMultiplyAdd(c11, a, b);
                c12 = Avx512F.FusedMultiplyAdd(c12, a, b); c13 = Avx512F.FusedMultiplyAdd(c13, a, b);
                c14 = Avx512F.FusedMultiplyAdd(c14, a, b); c15 = Avx512F.FusedMultiplyAdd(c15, a, b);
            }
            var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
            Sink = sum.GetElement(0);
            return (long)iterations * 16 * 16 * 2;
        }
        else
        {
            var a = Vector256.Create(0.999999f);
            var b = Vector256.Create(1e-7f);
            Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
                             c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b); c2 = Fma.MultiplyAdd(c2, a, b); c3 = Fma.MultiplyAdd(c3, a, b);
                c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b); c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b);
                c8 = Fma.MultiplyAdd(c8, a, b); c9 = Fma.MultiplyAdd(c9, a, b); c10 = Fma.MultiplyAdd(c10, a, b); c11 = Fma.MultiplyAdd(c11, a, b);
                c12 = Fma.MultiplyAdd(c12, a, b); c13 = Fma.MultiplyAdd(c13, a, b); c14 = Fma.MultiplyAdd(c14, a, b); c15 = Fma.MultiplyAdd(c15, a, b);
            }
            var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
            Sink = sum.GetElement(0);
            return (long)iterations * 16 * 8 * 2;
        }
    }

    private static volatile float Sink;

    /// <summary>fp32 FLOP/s of libtorch's matmul of two n×n matrices (2n³ FLOP a call).</summary>
    public static double SgemmRate(int n, double seconds)
    {
        torch.manual_seed(0);
        using var a = torch.rand(n, n);
        using var b = torch.rand(n, n);
        void Call() { using var c = torch.matmul(a, b); }
        Call();
        return Timing.RatePerSecond(Call, seconds) * 2.0 * n * n * n;
    }

    /// <summary>fp32 FLOP/s of libtorch's 3×3 convolution (64→64 channels, channels-last, 256×256, batch 1):
    /// one DnCNN middle layer, the best case of the network's own shape.</summary>
    public static double ConvRate(double seconds)
    {
        torch.manual_seed(0);
        using var x = torch.rand(1, 64, 256, 256).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        using var w = torch.rand(64, 64, 3, 3).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        void Call() { using var _ = no_grad(); using var y = nn.functional.conv2d(x, w, null, padding: [1, 1]); }
        Call();
        return Timing.RatePerSecond(Call, seconds) * 2.0 * 64 * 64 * 9 * 256 * 256;
    }
}
