using System.Diagnostics;
using System.Globalization;
using Dif.Denoising;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Bench;

/// <summary>`ab-dncnn`: interleaved A/B of DnCNN inference variants (images/s, medians over rounds).</summary>
internal static class AbDnCnn
{
    /// <summary>Minor page faults of this process so far (/proc/self/stat field 10), or 0 where unavailable.</summary>
    private static long MinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException) { return 0; }
    }

    public static int Run(Args a)
    {
        int size = a.Int("size", 256), batch = a.Int("batch", 1), rounds = a.Int("rounds", 15);
        var only = a.String("variants")?.Split(',');
        using var denoiser = Denoiser.LoadDefault("cpu");
        torch.manual_seed(0);
        using var x = torch.rand(batch, 3, size, size);
        var folded = DnCnnVariants.Fold(denoiser.Network, channelsLast: false);
        var foldedCl = DnCnnVariants.Fold(denoiser.Network, channelsLast: true);
        var foldedBf16 = foldedCl.Select(l => (l.W.to(ScalarType.BFloat16), l.B?.to(ScalarType.BFloat16))).ToList();
        int p = DnCnnArchitecture.Padding;
        Tensor Pad(Tensor t) => nn.functional.pad(t, [p, p, p, p], PaddingModes.Constant, 0);
        Tensor Crop(Tensor t) => t[.., .., p..(p + size), p..(p + size)].contiguous();
        var variants = new (string Name, Action Run)[]
        {
            ("library: Denoiser.ExtractResiduals", () => { using var s = NewDisposeScope(); denoiser.ExtractResiduals(x); }),
            ("plain NCHW forward", () => { using var s = NewDisposeScope(); using var g = no_grad(); Crop(denoiser.Network.forward(Pad(x))); }),
            ("channels-last forward", () => { using var s = NewDisposeScope(); using var g = no_grad(); Crop(denoiser.Network.forward(DnCnnVariants.ChannelsLast(Pad(x)))); }),
            ("library under inference_mode", () => { using var s = NewDisposeScope(); using var m = torch.inference_mode(); denoiser.ExtractResiduals(x); }),
            ("BN folded, NCHW", () => { using var s = NewDisposeScope(); using var g = no_grad(); Crop(DnCnnVariants.RunFolded(folded, Pad(x))); }),
            ("BN folded, channels-last", () => { using var s = NewDisposeScope(); using var g = no_grad(); Crop(DnCnnVariants.RunFolded(foldedCl, DnCnnVariants.ChannelsLast(Pad(x)))); }),
            ("BN folded, channels-last, bf16", () => { using var s = NewDisposeScope(); using var g = no_grad(); Crop(DnCnnVariants.RunFolded(foldedBf16, DnCnnVariants.ChannelsLast(Pad(x)).to(ScalarType.BFloat16)).to(ScalarType.Float32)); }),
        };
        using (var g = no_grad())
        {
            using var reference = denoiser.PredictNoise(x);
            using var f1 = DnCnnVariants.RunFolded(folded, Pad(x))[.., .., p..(p + size), p..(p + size)];
            using var f2 = DnCnnVariants.RunFolded(foldedCl, DnCnnVariants.ChannelsLast(Pad(x)))[.., .., p..(p + size), p..(p + size)];
            using var f3 = DnCnnVariants.RunFolded(foldedBf16, DnCnnVariants.ChannelsLast(Pad(x)).to(ScalarType.BFloat16)).to(ScalarType.Float32)[.., .., p..(p + size), p..(p + size)];
            Console.Error.WriteLine($"max |folded - library| = {f1.sub(reference).abs().max().item<float>():E2}, channels-last {f2.sub(reference).abs().max().item<float>():E2}, bf16 {f3.sub(reference).abs().max().item<float>():E2} (rms {f3.sub(reference).square().mean().sqrt().item<float>():E2}), max |library| = {reference.abs().max().item<float>():E2}, rms {reference.square().mean().sqrt().item<float>():E2}");
        }
        if (only is not null) variants = variants.Where((v, i) => only.Contains(i.ToString(CultureInfo.InvariantCulture))).ToArray();
        // Interleaved call by call (A, B, C, A, B, C, ...) so that load from other processes hits every
        // variant alike; per call we keep wall time and this process's CPU time. Under load the minimum
        // wall time is the least disturbed estimate, the median the typical one.
        var wall = variants.Select(_ => new List<double>()).ToArray();
        var cpu = variants.Select(_ => new List<double>()).ToArray();
        var faults = variants.Select(_ => new List<double>()).ToArray();
        foreach (var v in variants) v.Run(); // warm-up
        var proc = Process.GetCurrentProcess();
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < variants.Length; i++)
            {
                proc.Refresh();
                long f0 = MinorFaults();
                var c0 = proc.TotalProcessorTime;
                var t0 = Stopwatch.GetTimestamp();
                variants[i].Run();
                wall[i].Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                proc.Refresh();
                cpu[i].Add((proc.TotalProcessorTime - c0).TotalSeconds);
                faults[i].Add(MinorFaults() - f0);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  call {r + 1} {variants[i].Name}: {wall[i][^1]:F2} s wall, {cpu[i][^1]:F2} s CPU"));
            }
        Console.WriteLine($"| variant (S={size}, batch {batch}, {torch.get_num_threads()} threads, {rounds} calls each) | img/s (median wall) | img/s (min wall) | CPU s/img (median) | minor page faults/img (median) | vs first (min wall) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        double baseMin = wall[0].Min();
        for (int i = 0; i < variants.Length; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {variants[i].Name} | {batch / Stats.Median(wall[i]):F3} | {batch / wall[i].Min():F3} | {Stats.Median(cpu[i]) / batch:F3} | {Stats.Median(faults[i]) / batch:F0} | {baseMin / wall[i].Min():F2}× |"));
        return 0;
    }
}
