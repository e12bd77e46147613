using System.Globalization;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace Dif.Bench;

/// <summary>One round: PyTorch's reference and Dif's measurements back to back (order alternating between rounds),
/// with the machine's ceilings measured in the same round, so ratios compare like with like under the same load.</summary>
internal sealed record Round(int Index, string Order, string LoadAverage,
                            double DifResidualBs1, double DifResidualBs8, double DifStepsPerSecond,
                            double TorchResidualBs1, double TorchResidualBs8, double TorchStepsPerSecond,
                            double FmaPeakFlops, double SgemmFlops, double ConvFlops);

/// <summary>`run`: the benchmark. Prints a Markdown table and writes results.md and results.json.</summary>
internal static class BenchRun
{
    private sealed record Settings(string Mode, int Rounds, double Seconds, int Size, int Threads, int[] FitImages, int Epochs,
                                   int ScoreCount, int[] ScoreCheckpoints, bool Project1024);

    public static int Run(Args a, string[] rawArgs)
    {
        bool quick = a.Flag("quick"), full = a.Flag("full");
        int threads = torch.get_num_threads();
        var s = new Settings(
            Mode: quick ? "quick" : full ? "full" : "standard",
            Rounds: a.Int("rounds", quick ? 1 : 3),
            Seconds: a.Double("seconds", quick ? 3 : 10),
            Size: a.Int("size", 256),
            Threads: threads,
            FitImages: (a.String("fit-images") ?? (quick ? "32" : full ? "256,1024" : "256")).Split(',').Select(int.Parse).ToArray(),
            Epochs: a.Int("epochs", quick ? 2 : 100),
            ScoreCount: a.Int("score-count", quick ? 40 : full ? 2000 : 400),
            ScoreCheckpoints: [],
            Project1024: !quick);
        s = s with { ScoreCheckpoints = new[] { Math.Min(200, s.ScoreCount / 2), s.ScoreCount }.Distinct().ToArray() };
        var repo = Repo.Root();
        var outDir = Path.GetFullPath(a.String("out") ?? Path.Combine(repo, "out", "bench"));
        var python = a.String("python") ?? "/usr/bin/python3";
        var script = a.String("torch-script") ?? Path.Combine(repo, "bench", "torch_reference.py");
        var difDll = a.String("dif") ?? Path.Combine(repo, "src", "Dif.Cli", "bin", "Release", "net10.0", "dif.dll");
        Directory.CreateDirectory(outDir);
        var started = DateTime.UtcNow;
        string loadStart = Machine.LoadAverage();
        Log.Say($"mode {s.Mode}: {s.Rounds} round(s) of {s.Seconds} s per measure, S={s.Size}, {s.Threads} threads, load average {loadStart}");

        // 1. Hot paths, PyTorch and Dif back to back in each round.
        var rounds = new List<Round>();
        Dictionary<string, JsonElement>? torchInfo = null;
        using (var dif = new DifMeasure(s.Size))
        {
            for (int r = 1; r <= s.Rounds; r++)
            {
                Log.Say($"round {r}/{s.Rounds}: fp32 ceilings ...");
                double fma = Machine.FmaPeak(s.Threads, 2);
                double sgemm = Machine.SgemmRate(2048, 2);
                double conv = Machine.ConvRate(2);
                bool torchFirst = r % 2 == 1;
                Dictionary<string, JsonElement>? torchJson = null;
                double bs1 = 0, bs8 = 0, steps = 0;
                void Torch()
                {
                    Log.Say($"round {r}: PyTorch reference ({script}) ...");
                    torchJson = TorchReference.Run(python, script, s.Size, s.Seconds, s.Threads);
                }
                void Dif()
                {
                    Log.Say($"round {r}: Dif residuals, batch 1 ...");
                    bs1 = dif.ResidualImagesPerSecond(1, s.Seconds);
                    Log.Say($"round {r}: Dif residuals, batch 8 ...");
                    bs8 = dif.ResidualImagesPerSecond(8, s.Seconds);
                    Log.Say($"round {r}: Dif fitting steps, batch 64 ...");
                    steps = dif.FittingStepsPerSecond(s.Seconds);
                }
                if (torchFirst) { Torch(); Dif(); } else { Dif(); Torch(); }
                torchInfo ??= torchJson;
                var round = new Round(r, torchFirst ? "PyTorch, Dif" : "Dif, PyTorch", Machine.LoadAverage(), bs1, bs8, steps,
                    TorchReference.Number(torchJson, "dncnn_images_per_s_bs1"), TorchReference.Number(torchJson, "dncnn_images_per_s_bs8"),
                    TorchReference.Number(torchJson, "unet_steps_per_s_bs64"), fma, sgemm, conv);
                rounds.Add(round);
                Log.Say(string.Create(CultureInfo.InvariantCulture,
                    $"round {r}: Dif {bs1:F3}/{bs8:F3} img/s, {steps:F3} steps/s; PyTorch {round.TorchResidualBs1:F3}/{round.TorchResidualBs8:F3} img/s, {round.TorchStepsPerSecond:F3} steps/s; FMA peak {fma / 1e9:F0} GFLOP/s, sgemm {sgemm / 1e9:F0}, conv {conv / 1e9:F0}"));
            }
        }

        // 2. End-to-end fits (real CLI, own process) and scoring (own process).
        var fits = new List<FitRun>();
        string? fingerprint = null;
        (string Real, string Fake)? scoreData = null;
        if (!a.Flag("skip-e2e"))
        {
            foreach (var n in s.FitImages)
            {
                var data = EndToEnd.Dataset(repo, Path.Combine(outDir, "data"), n, s.Size);
                var output = Path.Combine(outDir, $"fit-{n}.dif.safetensors");
                Log.Say($"end-to-end: dif fit on {n} images ({s.Epochs} epochs) ...");
                var run = EndToEnd.Fit(difDll, data.Real, data.Fake, n, s.Epochs, s.Threads, output);
                Log.Say(string.Create(CultureInfo.InvariantCulture, $"end-to-end {n}: {run.WallSeconds:F0} s (residuals {run.ResidualSeconds:F0} s, fitting {run.FittingSeconds:F0} s), peak RSS {run.PeakRssBytes / 1e9:F2} GB, exit {run.ExitCode}"));
                fits.Add(run);
                if (run.ExitCode == 0 && fingerprint is null) { fingerprint = output; scoreData = data; }
            }
        }
        ScoreRun? score = null;
        if (!a.Flag("skip-score") && fingerprint is not null && scoreData is { } sd)
        {
            Log.Say($"scoring {s.ScoreCount} images (decode + residual + detect) in a child process ...");
            score = EndToEnd.Score(fingerprint, [sd.Real, sd.Fake], s.ScoreCount, s.ScoreCheckpoints, s.Threads);
        }

        // 3. Report.
        var finished = DateTime.UtcNow;
        var ctx = new ReportContext(s.Mode, s.Rounds, s.Seconds, s.Size, s.Threads, s.Epochs, started, finished, loadStart, Machine.LoadAverage(),
            a.String("command") ?? ("Dif.Bench " + string.Join(" ", rawArgs)), script, torchInfo, rounds, fits, score, s.Project1024);
        var markdown = Report.Markdown(ctx);
        File.WriteAllText(Path.Combine(outDir, "results.md"), markdown);
        File.WriteAllText(Path.Combine(outDir, "results.json"), Report.Json(ctx));
        Console.WriteLine(markdown);
        Log.Say($"wrote {Path.Combine(outDir, "results.md")} and results.json");
        return 0;
    }
}

internal sealed record ReportContext(string Mode, int Rounds, double Seconds, int Size, int Threads, int Epochs, DateTime Started, DateTime Finished,
                                     string LoadStart, string LoadEnd, string Command, string TorchScript, Dictionary<string, JsonElement>? TorchInfo,
                                     IReadOnlyList<Round> RoundResults, IReadOnlyList<FitRun> Fits, ScoreRun? Score, bool Project1024);

internal static class Repo
{
    public static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Dif.sln"))) return d.FullName;
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Dif.sln"))) return d.FullName;
        throw new InvalidOperationException("Cannot find the repository (Dif.sln) above " + AppContext.BaseDirectory);
    }
}
