using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dif.Denoising;
using Dif.Evaluation;
using Dif.Fingerprinting;
using Dif.Imaging;

namespace Dif.Bench;

/// <summary>Result of one end-to-end `dif fit` child process.</summary>
internal sealed record FitRun(int Images, int Epochs, double WallSeconds, double ResidualSeconds, double FittingSeconds, long PeakRssBytes, int ExitCode);

/// <summary>Result of the scoring child process.</summary>
internal sealed record ScoreRun(int Images, double ImagesPerSecond, double DecodeMsPerImage, double ResidualMsPerImage, double DetectMsPerImage,
                                Dictionary<int, long> RssAt, Dictionary<int, long> RssAfterGcAt, long PeakRssBytes);

/// <summary>End-to-end measures, each in a process of its own so that peak memory is that job's alone.</summary>
internal static class EndToEnd
{
    /// <summary>Writes (once) <paramref name="images"/> PNG files, half real crops of the bundled evaluation photos and
    /// half re-synthesised by the shipped 'tconv' generator (the same data `dif make-dataset` makes), and returns the
    /// real and generated folders. Deterministic, so an existing complete set is reused.</summary>
    public static (string Real, string Fake) Dataset(string repo, string dataRoot, int images, int size)
    {
        int perClass = images / 2;
        var root = Path.Combine(dataRoot, $"n{images}-s{size}");
        var real = EvaluationDataset.RealFolder(root, "png", "train");
        var fake = EvaluationDataset.FakeFolder(root, "png", "train", "tconv");
        bool Complete(string d) => Directory.Exists(d) && ImageFiles.In(d).Count() == perClass;
        if (Complete(real) && Complete(fake)) return (real, fake);
        Log.Say($"writing {perClass} real + {perClass} generated {size}² PNG files to {root} (once) ...");
        using var generator = Generator.Load(Path.Combine(repo, "models", "generators", "tconv.safetensors"));
        EvaluationDataset.Write(Path.Combine(repo, "data", "photos", "evaluation"), [generator], root,
            new DatasetOptions { Size = size, TrainCount = perClass, TestCount = 0, Conditions = [Condition.Png] });
        return (real, fake);
    }

    /// <summary>Runs the real CLI, `dif fit`, under GNU time: wall time, peak RSS (max resident set of the child), and
    /// the split between residual extraction and fitting from the time its "Fitting" line appears.</summary>
    public static FitRun Fit(string difDll, string real, string fake, int images, int epochs, int threads, string output)
    {
        var timeFile = Path.GetTempFileName();
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/time") ? "/usr/bin/time" : "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        if (File.Exists("/usr/bin/time")) foreach (var x in new[] { "-f", "%e %M", "-o", timeFile, "dotnet" }) psi.ArgumentList.Add(x);
        foreach (var x in new[] { difDll, "fit", "--real", real, "--fake", fake, "--out", output,
                                  "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(x);
        var clock = Stopwatch.StartNew();
        double fittingStarts = double.NaN;
        using var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (double.IsNaN(fittingStarts) && e.Data.Contains("] Fitting (", StringComparison.Ordinal)) fittingStarts = clock.Elapsed.TotalSeconds;
            Log.Child(e.Data);
        };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) Log.Child(e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        p.WaitForExit();
        double wall = clock.Elapsed.TotalSeconds;
        long peak = 0;
        try
        {
            var fields = File.ReadAllLines(timeFile).Last(l => l.Trim().Length > 0).Split(' ');
            wall = double.Parse(fields[0], CultureInfo.InvariantCulture);
            peak = long.Parse(fields[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or IndexOutOfRangeException) { }
        finally { File.Delete(timeFile); }
        return new FitRun(images, epochs, wall, fittingStarts, wall - fittingStarts, peak, p.ExitCode);
    }

    /// <summary>Runs this program's `score-child` in a process of its own.</summary>
    public static ScoreRun? Score(string fingerprint, IReadOnlyList<string> folders, int count, int[] checkpoints, int threads)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(typeof(EndToEnd).Assembly.Location);
        foreach (var x in new[] { "score-child", "--fingerprint", fingerprint, "--count", count.ToString(CultureInfo.InvariantCulture),
                                  "--checkpoints", string.Join(",", checkpoints), "--threads", threads.ToString(CultureInfo.InvariantCulture),
                                  "--folders", string.Join(Path.PathSeparator, folders) })
            psi.ArgumentList.Add(x);
        using var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log.Child(e.Data); };
        p.BeginErrorReadLine();
        var json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) { Log.Say($"score-child failed with exit code {p.ExitCode}"); return null; }
        return JsonSerializer.Deserialize<ScoreRun>(json);
    }

    /// <summary>`score-child`: scores <c>--count</c> images the way `dif detect` does (decode → residual → detect),
    /// cycling through the files of <c>--folders</c> (every image is decoded from its file each time), and prints one
    /// JSON object: throughput over all but the first 3 images, time per stage, and RSS at each checkpoint.</summary>
    public static int ScoreChild(Args a)
    {
        var fingerprint = Fingerprint.Load(a.String("fingerprint") ?? throw new ArgumentException("--fingerprint"));
        var files = (a.String("folders") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).SelectMany(ImageFiles.In).ToList();
        if (files.Count == 0) throw new ArgumentException("no images in --folders");
        int count = a.Int("count", 200);
        var checkpoints = (a.String("checkpoints") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
        using var denoiser = Denoiser.LoadDefault("cpu");
        fingerprint.EnsureDenoiser(denoiser);
        var options = new ImageLoadOptions { CropSize = fingerprint.Size };
        var rss = new Dictionary<int, long>();
        var rssGc = new Dictionary<int, long>();
        double decode = 0, residual = 0, detect = 0;
        const int warmup = 3;
        var timed = new Stopwatch();
        for (int i = 0; i < count; i++)
        {
            if (i == warmup) timed.Start();
            long t0 = Stopwatch.GetTimestamp();
            var image = ImageLoader.Load(files[i % files.Count], options);
            long t1 = Stopwatch.GetTimestamp();
            var r = denoiser.ExtractResidual(image);
            long t2 = Stopwatch.GetTimestamp();
            _ = fingerprint.Detect(r);
            long t3 = Stopwatch.GetTimestamp();
            if (i >= warmup)
            {
                decode += Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                residual += Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
                detect += Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
            }
            if (checkpoints.Contains(i + 1))
            {
                timed.Stop();
                rss[i + 1] = Machine.Status("VmRSS");
                GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
                rssGc[i + 1] = Machine.Status("VmRSS");
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scored {i + 1}: RSS {rss[i + 1] / 1e6:F0} MB ({rssGc[i + 1] / 1e6:F0} MB after a full GC)"));
                timed.Start();
            }
        }
        int n = Math.Max(1, count - warmup);
        var result = new ScoreRun(count, n / timed.Elapsed.TotalSeconds, decode / n, residual / n, detect / n, rss, rssGc, Machine.Status("VmHWM"));
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}

internal static class Log
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    public static void Say(string text) => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[bench {Clock.Elapsed.TotalSeconds,6:F0} s] {text}"));
    public static void Child(string text) => Console.Error.WriteLine($"    | {text}");
}
