using System.Diagnostics;
using Dif.Fingerprinting;
using Dif.Persistence;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dif.Tests.Reliability;

/// <summary>Faults during long work (issue 8, item 3): a fit killed with SIGKILL resumes to the same result,
/// writes are atomic, and an output folder that cannot be written (read-only, or a full disk) gives a clear
/// error and leaves the previous file as it was. The process-level cases run the real `dif` CLI.</summary>
public sealed class FaultTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private static string DifDll => DifCli.Dll;
    private static Process Start(string fileName, IEnumerable<string> args) => DifCli.Start(fileName, args);
    private static DifCli.Run Wait(Process p) => DifCli.Wait(p);
    private static DifCli.Run Dif(params string[] args) => DifCli.Invoke(args);

    /// <summary>Six real pictures and six with a strong periodic trace, 40×40.</summary>
    private (string Real, string Fake) TrainingFolders()
    {
        var real = Directory.CreateDirectory(files.PathOf("real")).FullName;
        var fake = Directory.CreateDirectory(files.PathOf("fake")).FullName;
        for (int i = 0; i < 6; i++)
        {
            using (var p = BadImages.Picture(40, 40, i)) p.SaveAsPng(Path.Combine(real, $"r{i}.png"));
            using var q = BadImages.Picture(40, 40, 100 + i);
            for (int y = 0; y < 40; y++)
                for (int x = 0; x < 40; x++)
                {
                    var v = q[x, y];
                    int d = ((x + y) % 2 == 0) ? 12 : -12;
                    q[x, y] = new Rgb24((byte)Math.Clamp(v.R + d, 0, 255), (byte)Math.Clamp(v.G + d, 0, 255), (byte)Math.Clamp(v.B + d, 0, 255));
                }
            q.SaveAsPng(Path.Combine(fake, $"f{i}.png"));
        }
        return (real, fake);
    }

    private static string[] FitArgs(string real, string fake, string output, int epochs, params string[] more)
        => ["fit", "--real", real, "--fake", fake, "--out", output, "--size", "32", "--epochs", epochs.ToString(), "--min-steps", "0", "--batch", "8",
            "--device", "cpu", "--threads", "1", .. more];

    [Fact]
    public void Fit_killed_with_sigkill_after_a_checkpoint_resumes_to_the_uninterrupted_fingerprint()
    {
        var (real, fake) = TrainingFolders();
        const int epochs = 40;
        var whole = files.PathOf("whole.dif.safetensors");
        var straight = Dif(FitArgs(real, fake, whole, epochs));
        Assert.True(straight.ExitCode == 0, straight.Errors);

        var resumed = files.PathOf("resumed.dif.safetensors");
        var checkpoint = files.PathOf("fit.ckpt.safetensors");
        var args = FitArgs(real, fake, resumed, epochs, "--checkpoint", checkpoint, "--checkpoint-every", "2", "--resume");
        using (var victim = Start("dotnet", [DifDll, .. args]))
        {
            _ = victim.StandardOutput.ReadToEndAsync();
            _ = victim.StandardError.ReadToEndAsync();
            // The checkpoint is renamed into place whole, so once it exists it is complete: kill right then.
            while (!File.Exists(checkpoint) && !victim.HasExited) Thread.Sleep(5);
            victim.Kill(); // SIGKILL on Linux: no handler, no cleanup runs
            victim.WaitForExit();
        }
        Assert.False(File.Exists(resumed), "the fit finished before it could be killed; the test proves nothing");
        var (_, meta) = SafeTensors.Read(checkpoint); // the kill left a readable checkpoint
        int killedAt = int.Parse(meta["epoch"]);
        Assert.InRange(killedAt, 2, epochs - 1);
        Assert.Empty(Directory.GetFiles(files.Root, "*.tmp"));

        var second = Dif(args);
        Assert.True(second.ExitCode == 0, second.Errors);
        Assert.Contains("Resuming from checkpoint", second.Errors);
        var a = Fingerprint.Load(whole);
        var b = Fingerprint.Load(resumed);
        Assert.Equal(a.Pattern, b.Pattern);
        Assert.Equal((a.RealCentre, a.FakeCentre, a.Calibration), (b.RealCentre, b.FakeCentre, b.Calibration));
    }

    [Fact]
    public void Detect_refuses_an_unknown_precision_and_names_the_choices()
    {
        var detect = Dif("detect", "--fingerprint", "unused.dif.safetensors", "--precision", "fp16", "image.png");
        Assert.Equal(2, detect.ExitCode);
        Assert.Contains("--precision is fp32 or bf16, not 'fp16'", detect.Errors);
    }

    [Fact]
    public void A_number_option_given_a_word_is_a_usage_error_naming_the_option_not_a_crash()
    {
        var fit = Dif("fit", "--real", "r", "--fake", "f", "--out", files.PathOf("x.dif.safetensors"), "--epochs", "ten");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("option --epochs takes a number, not 'ten'", fit.Errors);
        Assert.DoesNotContain("Unhandled exception", fit.Errors);
    }

    [Fact]
    public void Help_after_a_command_prints_that_command_s_usage_and_succeeds()
    {
        var help = Dif("lineage", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--detects-at 0.8", help.Output);
        Assert.DoesNotContain("make-dataset", help.Output);
    }

    [Fact]
    public void Fit_and_detect_batches_go_on_past_bad_files_and_report_how_many_failed()
    {
        var (real, fake) = TrainingFolders();
        File.WriteAllBytes(Path.Combine(fake, "f9-corrupt.png"), [137, 80, 78, 71, 1, 2, 3]);
        File.WriteAllBytes(Path.Combine(real, "r9-empty.png"), []);
        var output = files.PathOf("fp.dif.safetensors");
        var fit = Dif(FitArgs(real, fake, output, 2));
        Assert.True(fit.ExitCode == 0, fit.Errors);
        Assert.Contains("2 of 14 images could not be used", fit.Errors);
        Assert.Contains(Path.Combine(fake, "f9-corrupt.png"), fit.Errors);

        var detect = Dif("detect", "--fingerprint", output, "--device", "cpu", real);
        Assert.Equal(0, detect.ExitCode);
        Assert.Equal(6, detect.Output.Split('\n').Count(l => l.Contains(real)));
        Assert.Contains("1 of 7 images could not be scored", detect.Errors);
        Assert.Contains(Path.Combine(real, "r9-empty.png") + ": is empty", detect.Errors);
    }

    [Fact]
    public void Cli_on_a_full_disk_says_so_and_keeps_the_previous_file()
    {
        // A real ENOSPC: an 8 KiB tmpfs mounted in a private user and mount namespace (no privileges needed
        // where unprivileged user namespaces are allowed; the tmpfs vanishes with the namespace, so the
        // shell lists what is left in it before exiting). The fingerprint file (3×32×32 floats) needs more.
        if (!OperatingSystem.IsLinux() || !CanUnshare())
            return; // no user namespaces here: the read-only folder test below covers the same write path
        var (real, fake) = TrainingFolders();
        var mount = Directory.CreateDirectory(files.PathOf("full-disk")).FullName;
        var target = Path.Combine(mount, "fp.dif.safetensors");
        var script = $"""
            mount -t tmpfs -o size=8k tmpfs '{mount}' || exit 99
            printf previous > '{target}'
            dotnet '{DifDll}' {string.Join(" ", FitArgs(real, fake, target, 1).Select(x => $"'{x}'"))}
            echo "exit=$?"
            echo "left: $(ls -A '{mount}' | tr '\n' ' ')"
            echo "content: $(cat '{target}')"
            """;
        using var p = Start("unshare", ["-Urm", "sh", "-c", script]);
        var run = Wait(p);
        Assert.DoesNotContain("exit=0", run.Output);
        Assert.Contains("exit=1", run.Output);
        Assert.Contains($"dif: error: {target}: writing failed (No space left on device", run.Errors);
        Assert.Contains("the previous file, if any, is unchanged", run.Errors);
        Assert.Contains("left: fp.dif.safetensors \n", run.Output + "\n"); // no temporary file left behind
        Assert.Contains("content: previous", run.Output);
    }

    private static bool CanUnshare()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("unshare", ["-Urm", "true"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            return p.WaitForExit(10_000) && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    private static Fingerprint SmallFingerprint()
    {
        var r = new Random(1);
        return new Fingerprint(Enumerable.Range(0, 3 * 16 * 16).Select(_ => (float)r.NextDouble()).ToArray(), 16, 0.01, 0.05,
                               new ScoreCalibration(100, ScoreCalibration.Training, 4));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Saving_into_a_read_only_folder_is_a_clear_error_and_keeps_the_previous_file()
    {
        var folder = Directory.CreateDirectory(files.PathOf("read-only")).FullName;
        var target = Path.Combine(folder, "fp.dif.safetensors");
        File.WriteAllText(target, "previous");
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            DifOutputException e;
            using (FileAccessOverride.DropOnThisThread()) // as root, chmod 555 alone stops nothing
                e = Assert.Throws<DifOutputException>(() => SmallFingerprint().Save(target));
            Assert.StartsWith(target, e.Message);
            Assert.Contains("cannot write here", e.Message);
            Assert.Equal("previous", File.ReadAllText(target));
            Assert.Equal([target], Directory.GetFiles(folder));
        }
        finally { File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
    }

    [Fact]
    public void Saving_where_the_folder_is_a_regular_file_is_a_clear_error()
    {
        var notAFolder = files.Bytes("plain-file", [1, 2, 3]);
        var target = Path.Combine(notAFolder, "fp.dif.safetensors");
        var e = Assert.Throws<DifOutputException>(() => SmallFingerprint().Save(target));
        Assert.StartsWith(target, e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_fit_cancelled_by_its_token_writes_nothing_and_keeps_the_previous_fingerprint()
    {
        var target = files.PathOf("fp.dif.safetensors");
        SmallFingerprint().Save(target);
        var before = File.ReadAllBytes(target);
        var r = new Random(2);
        var residuals = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 3 * 16 * 16).Select(_ => (float)r.NextDouble()).ToArray()).ToList();
        using var stop = new CancellationTokenSource();
        var options = new FingerprintFitOptions { Epochs = 1000, BatchSize = 8, Device = "cpu", CheckpointPath = target + ".ckpt", CheckpointEvery = 1 };
        var reports = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            var fp = new FingerprintFitter(options).Fit(residuals[..4], residuals[4..], 16,
                progress: new SyncProgress(_ => { if (++reports == 2) stop.Cancel(); }), cancellationToken: stop.Token);
            fp.Save(target);
        });
        Assert.Equal(2, reports); // stopped at the first step after the request, not at the end of 1000 epochs
        Assert.Equal(before, File.ReadAllBytes(target));
        Assert.Empty(Directory.GetFiles(files.Root, "*.tmp"));
    }

    private sealed class SyncProgress(Action<FingerprintFitProgress> report) : IProgress<FingerprintFitProgress>
    {
        public void Report(FingerprintFitProgress value) => report(value);
    }
}
