using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Dif.Bench;

/// <summary>One run of bench/torch_reference.py (PyTorch, Debian's python3-torch) as a child process.</summary>
internal static class TorchReference
{
    public static Dictionary<string, JsonElement>? Run(string python, string script, int size, double seconds, int threads)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var x in new[] { script, "--size", size.ToString(CultureInfo.InvariantCulture), "--seconds", seconds.ToString(CultureInfo.InvariantCulture),
                                  "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(x);
        using var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log.Child(e.Data); };
        p.BeginErrorReadLine();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.TrimStart().StartsWith('{'));
        if (p.ExitCode != 0 || line is null)
        {
            Log.Say($"torch_reference.py failed (exit {p.ExitCode}); PyTorch figures will be missing");
            return null;
        }
        return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line);
    }

    public static double Number(Dictionary<string, JsonElement>? json, string key)
        => json is not null && json.TryGetValue(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    public static string? Text(Dictionary<string, JsonElement>? json, string key)
        => json is not null && json.TryGetValue(key, out var v) ? v.ToString() : null;
}
