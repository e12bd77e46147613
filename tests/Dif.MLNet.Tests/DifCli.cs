using System.Diagnostics;

namespace Dif.Tests;

/// <summary>The built `dif` command, run as a child process, for the tests of the command line.</summary>
public static class DifCli
{
    /// <summary>What a run printed and returned.</summary>
    public sealed record Run(int ExitCode, string Output, string Errors);

    /// <summary>The CLI the Release build writes.</summary>
    public static string Dll => Path.Combine(RepoPaths.Root, "src", "Dif.Cli", "bin", "Release", "net10.0", "dif.dll");

    /// <summary>Starts a program with its output redirected.</summary>
    public static Process Start(string fileName, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>Waits for a started program and collects what it printed.</summary>
    public static Run Wait(Process p)
    {
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Run(p.ExitCode, output.Result, errors.Result);
    }

    /// <summary>Runs `dif ARGS` to the end.</summary>
    public static Run Invoke(params string[] args)
    {
        Assert.True(File.Exists(Dll), $"{Dll} is not built (dotnet build Dif.sln -c Release).");
        using var p = Start("dotnet", [Dll, .. args]);
        return Wait(p);
    }
}
