using System.Diagnostics;
using Dif.Fingerprinting;
using Xunit;

namespace Dif.Tests.Cli;

/// <summary>The built CLI folder, copied out of the repository, is a working program on its own.</summary>
public sealed class OutsideACheckoutTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dif-outside-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>Mirrors the CLI's build folder into <see cref="root"/> (hard links: libtorch alone is ~460 MB).</summary>
    private string CopyOfTheCli()
    {
        var from = Path.GetDirectoryName(DifCli.Dll)!;
        var to = Path.Combine(root, "dif");
        using var cp = Process.Start("cp", ["-al", from, to])!;
        cp.WaitForExit();
        Assert.Equal(0, cp.ExitCode);
        return Path.Combine(to, "dif.dll");
    }

    private DifCli.Run RunIn(string workingDirectory, string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        return DifCli.Wait(p);
    }

    [Fact]
    public void Detection_works_from_a_copied_folder_with_no_checkout_around_it()
    {
        Assert.False(File.Exists(Path.Combine(root, "Dif.sln")));
        var dll = CopyOfTheCli();
        var work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
        var r = new Random(1);
        new Fingerprint(Enumerable.Range(0, 3 * 32 * 32).Select(_ => (float)r.NextDouble()).ToArray(), 32, 0.01, 0.05,
                        new ScoreCalibration(100, ScoreCalibration.Training, 4)).Save(Path.Combine(work, "fp.dif.safetensors"));
        File.Copy(Directory.GetFiles(Path.Combine(RepoPaths.Root, "data", "photos", "evaluation")).Order().First(), Path.Combine(work, "photo.jpg"));

        var run = RunIn(work, dll, "detect", "--fingerprint", "fp.dif.safetensors", "photo.jpg");
        Assert.True(run.ExitCode == 0, run.Errors + run.Output);
        Assert.Contains("photo.jpg", run.Output);
    }

    [Fact]
    public void The_demo_outside_a_checkout_says_it_needs_one_instead_of_guessing_a_folder()
    {
        var dll = CopyOfTheCli();
        var run = RunIn(root, dll, "demo");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("demo uses the bundled data of a Dif source checkout", run.Errors);
    }
}
