using System.Globalization;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace Dif.Bench;

/// <summary>The benchmark's table (Markdown) and raw data (JSON).</summary>
internal static class Report
{
    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
    private static string Signed(double v) => (v >= 0 ? "+" : "−") + Math.Abs(v).ToString("F1", CultureInfo.InvariantCulture);
    private static string Met(bool? ok) => ok switch { true => "yes", false => "**no**", null => "n/a" };
    private static bool? AtLeast(double v, double target) => double.IsFinite(v) ? v >= target : null;
    private static bool? AtMost(double v, double target) => double.IsFinite(v) ? v <= target : null;

    /// <summary>Fitting steps `dif fit` runs on n images with its defaults (20% of each class held out for calibration, batch 64).</summary>
    public static long FitSteps(int images, int epochs, int batchSize = 64, double calibrationFraction = 0.2)
    {
        int perClass = images / 2;
        int held = (int)Math.Round(perClass * calibrationFraction);
        if (held < 2 || perClass - held < 2) held = 0;
        int all = 2 * (perClass - held);
        int batch = Math.Min(batchSize, all) / 2 * 2;
        return (long)Math.Max(1, all / batch) * epochs;
    }

    private sealed record Medians(double DifBs1, double DifBs8, double DifSteps, double TorchBs1, double TorchBs8, double TorchSteps,
                                  double RatioBs1, double RatioBs8, double RatioSteps, double Fma, double Sgemm, double Conv,
                                  double DifPeakShare, double TorchPeakShare, double DifGflops, double TorchGflops, double DifSgemmShare);

    private static Medians Summarise(ReportContext c)
    {
        var r = c.RoundResults;
        double flop = DifMeasure.DnCnnFlop(c.Size);
        double M(Func<Round, double> f) => Stats.Median(r.Select(f));
        return new Medians(
            M(x => x.DifResidualBs1), M(x => x.DifResidualBs8), M(x => x.DifStepsPerSecond),
            M(x => x.TorchResidualBs1), M(x => x.TorchResidualBs8), M(x => x.TorchStepsPerSecond),
            M(x => x.DifResidualBs1 / x.TorchResidualBs1), M(x => x.DifResidualBs8 / x.TorchResidualBs8), M(x => x.DifStepsPerSecond / x.TorchStepsPerSecond),
            M(x => x.FmaPeakFlops), M(x => x.SgemmFlops), M(x => x.ConvFlops),
            M(x => Math.Max(x.DifResidualBs1, x.DifResidualBs8) * flop / x.FmaPeakFlops),
            M(x => Math.Max(x.TorchResidualBs1, x.TorchResidualBs8) * flop / x.FmaPeakFlops),
            M(x => Math.Max(x.DifResidualBs1, x.DifResidualBs8) * flop),
            M(x => Math.Max(x.TorchResidualBs1, x.TorchResidualBs8) * flop),
            M(x => Math.Max(x.DifResidualBs1, x.DifResidualBs8) * flop / x.SgemmFlops));
    }

    public static string Markdown(ReportContext c)
    {
        var m = Summarise(c);
        var sb = new StringBuilder();
        void L(string line = "") => sb.AppendLine(line);
        string torchVersion = TorchReference.Text(c.TorchInfo, "torch") ?? "n/a";
        L($"### Dif benchmark ({c.Mode})");
        L();
        L($"- Command: `{c.Command.Trim()}`");
        L(string.Create(CultureInfo.InvariantCulture, $"- Date: {c.Started:yyyy-MM-dd HH:mm} UTC ({(c.Finished - c.Started).TotalMinutes:F0} min)"));
        L(string.Create(CultureInfo.InvariantCulture, $"- Machine: {Machine.CpuModel()}, {Environment.ProcessorCount} cores ({Machine.VectorIsa}), {Machine.MemoryBytes() / (1024.0 * 1024 * 1024):F0} GiB; load average {c.LoadStart} at start, {c.LoadEnd} at end"));
        L($"- Software: .NET {Environment.Version}, TorchSharp {typeof(torch).Assembly.GetName().Version} (libtorch-cpu 2.10.0); PyTorch {torchVersion} (Debian python3-torch); {c.Threads} threads on both sides");
        L(string.Create(CultureInfo.InvariantCulture, $"- Method: {c.Rounds} round(s); in each, `torch_reference.py --seconds {c.Seconds}` and Dif's same measures back to back (order alternating), one warm-up call then {c.Seconds} s of calls; figures are medians over rounds, ratios medians of the per-round ratios"));
        L();
        L("| measure | Dif | PyTorch | Dif / PyTorch | target | met |");
        L("|---|---|---|---|---|---|");
        L($"| residual extraction, S={c.Size}, batch 1 (images/s) | {F(m.DifBs1, "F3")} | {F(m.TorchBs1, "F3")} | {F(m.RatioBs1, "F2")}× | ≥ 1.0× | {Met(AtLeast(m.RatioBs1, 1.0))} |");
        L($"| residual extraction, S={c.Size}, batch 8 (images/s) | {F(m.DifBs8, "F3")} | {F(m.TorchBs8, "F3")} | {F(m.RatioBs8, "F2")}× | ≥ 1.0× | {Met(AtLeast(m.RatioBs8, 1.0))} |");
        L($"| residual extraction, best batch, share of the fp32 FMA peak | {F(m.DifGflops / 1e9, "F0")} GFLOP/s = {F(100 * m.DifPeakShare, "F0")}% | {F(m.TorchGflops / 1e9, "F0")} GFLOP/s = {F(100 * m.TorchPeakShare, "F0")}% | | ≥ 70% | {Met(AtLeast(m.DifPeakShare, 0.70))} |");
        L($"| fitting steps/s, S={c.Size}, batch 64 | {F(m.DifSteps, "F3")} | {F(m.TorchSteps, "F3")} | {F(m.RatioSteps, "F2")}× | ≥ 1.0× | {Met(AtLeast(m.RatioSteps, 1.0))} |");
        foreach (var fit in c.Fits)
        {
            long steps = FitSteps(fit.Images, fit.Epochs);
            bool is1024 = fit.Images == 1024 && fit.Epochs == 100;
            L(string.Create(CultureInfo.InvariantCulture,
                $"| `dif fit`, {fit.Images} PNG images, {fit.Epochs} epochs ({steps} steps): wall (residuals + fitting) | {F(fit.WallSeconds / 60, "F1")} min ({F(fit.ResidualSeconds / 60, "F1")} + {F(fit.FittingSeconds / 60, "F1")}){(fit.ExitCode == 0 ? "" : $" exit {fit.ExitCode}")} | | | {(is1024 ? "≤ 45 min" : "")} | {(is1024 ? Met(AtMost(fit.WallSeconds / 60, 45)) : "")} |"));
            L(string.Create(CultureInfo.InvariantCulture,
                $"| `dif fit`, {fit.Images} images: peak RSS | {F(fit.PeakRssBytes / 1e9, "F2")} GB | | | {(is1024 ? "≤ 3 GB" : "")} | {(is1024 ? Met(AtMost(fit.PeakRssBytes / 1e9, 3.0)) : "")} |"));
        }
        if (c.Project1024 && !c.Fits.Any(f => f.Images == 1024 && f.Epochs == 100)
            && c.Fits.FirstOrDefault(f => f.ExitCode == 0 && f.Epochs == 100 && double.IsFinite(f.ResidualSeconds)) is { } basis)
        {
            double projected = basis.ResidualSeconds * 1024.0 / basis.Images + basis.FittingSeconds * FitSteps(1024, 100) / FitSteps(basis.Images, basis.Epochs);
            L(string.Create(CultureInfo.InvariantCulture,
                $"| `dif fit`, 1024 images, 100 epochs: wall, *projected* from the {basis.Images}-image run (run `--full` to measure) | ~{projected / 60:F0} min | | | ≤ 45 min | {Met(AtMost(projected / 60, 45))} (projected) |"));
        }
        if (c.Score is { } sc)
        {
            L(string.Create(CultureInfo.InvariantCulture,
                $"| scoring incl. PNG decode (images/s; decode {sc.DecodeMsPerImage:F1} + residual {sc.ResidualMsPerImage:F0} + detect {sc.DetectMsPerImage:F1} ms/image) | {F(sc.ImagesPerSecond, "F3")} | | | | |"));
            var keys = sc.RssAt.Keys.Order().ToArray();
            if (keys.Length >= 2)
            {
                int a = keys[0], b = keys[^1];
                double growth = (double)sc.RssAt[b] / sc.RssAt[a] - 1;
                double growthGc = (double)sc.RssAfterGcAt[b] / sc.RssAfterGcAt[a] - 1;
                L(string.Create(CultureInfo.InvariantCulture,
                    $"| RSS after scoring {a} → {b} images (after a full GC: {sc.RssAfterGcAt[a] / 1e6:F0} → {sc.RssAfterGcAt[b] / 1e6:F0} MB, {Signed(100 * growthGc)}%) | {sc.RssAt[a] / 1e6:F0} → {sc.RssAt[b] / 1e6:F0} MB ({Signed(100 * growth)}%) | | | within 10% (at 200 → 2000) | {Met(AtMost(Math.Abs(growth), 0.10))}{(a == 200 && b == 2000 ? "" : " (not 200 → 2000)")} |"));
            }
        }
        L();
        L(string.Create(CultureInfo.InvariantCulture,
            $"fp32 ceilings measured in the same rounds (medians): FMA peak {F(m.Fma / 1e9, "F0")} GFLOP/s ({Machine.VectorIsa} on {c.Threads} threads, a register-only loop: the hardware limit at the clock it runs now); " +
            $"libtorch sgemm 2048² {F(m.Sgemm / 1e9, "F0")} GFLOP/s; libtorch 3×3 conv 64→64 at 256² {F(m.Conv / 1e9, "F0")} GFLOP/s. " +
            $"DnCNN = {DifMeasure.DnCnnFlop(c.Size) / 1e9:F1} GFLOP per {c.Size}² image (padding included); Dif's residual extraction runs at {F(100 * m.DifSgemmShare, "F0")}% of sgemm."));
        L();
        L("| round | order | load avg | Dif img/s (b1 / b8) | PyTorch img/s (b1 / b8) | Dif / PyTorch steps/s | FMA / sgemm / conv GFLOP/s |");
        L("|---|---|---|---|---|---|---|");
        foreach (var r in c.RoundResults)
            L(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Index} | {r.Order} | {r.LoadAverage} | {F(r.DifResidualBs1, "F3")} / {F(r.DifResidualBs8, "F3")} | {F(r.TorchResidualBs1, "F3")} / {F(r.TorchResidualBs8, "F3")} | {F(r.DifStepsPerSecond, "F3")} / {F(r.TorchStepsPerSecond, "F3")} | {F(r.FmaPeakFlops / 1e9, "F0")} / {F(r.SgemmFlops / 1e9, "F0")} / {F(r.ConvFlops / 1e9, "F0")} |"));
        return sb.ToString();
    }

    public static string Json(ReportContext c)
    {
        var m = Summarise(c);
        return JsonSerializer.Serialize(new
        {
            mode = c.Mode, command = c.Command, started_utc = c.Started, finished_utc = c.Finished,
            machine = new { cpu = Machine.CpuModel(), cores = Environment.ProcessorCount, isa = Machine.VectorIsa, memory_bytes = Machine.MemoryBytes(), load_start = c.LoadStart, load_end = c.LoadEnd },
            software = new { dotnet = Environment.Version.ToString(), torchsharp = typeof(torch).Assembly.GetName().Version?.ToString(), pytorch = TorchReference.Text(c.TorchInfo, "torch") },
            settings = new { c.Rounds, c.Seconds, c.Size, c.Threads, c.Epochs, torch_script = c.TorchScript },
            dncnn_flop_per_image = DifMeasure.DnCnnFlop(c.Size),
            medians = m,
            rounds = c.RoundResults,
            fits = c.Fits.Select(f => new { f.Images, f.Epochs, steps = FitSteps(f.Images, f.Epochs), f.WallSeconds, f.ResidualSeconds, f.FittingSeconds, f.PeakRssBytes, f.ExitCode }),
            scoring = c.Score,
        }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    }
}
