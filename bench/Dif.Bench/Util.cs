using System.Diagnostics;
using System.Globalization;

namespace Dif.Bench;

/// <summary>Timing loops shaped like the PyTorch reference's <c>timed()</c>: the caller warms up, then calls
/// are repeated until at least <c>seconds</c> have passed; the rate counts whole calls only.</summary>
internal static class Timing
{
    public static double RatePerSecond(Action call, double seconds)
    {
        int n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            call();
            n++;
        }
        return n / clock.Elapsed.TotalSeconds;
    }
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

/// <summary>--name value and --flag arguments.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);
    public List<string> Positional { get; } = [];

    public Args(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal)) { Positional.Add(list[i]); continue; }
            var name = list[i][2..];
            int eq = name.IndexOf('=');
            if (eq >= 0) { values[name[..eq]] = name[(eq + 1)..]; continue; }
            if (i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal)) values[name] = list[++i];
            else values[name] = null;
        }
    }

    public bool Flag(string name) => values.ContainsKey(name);
    public string? String(string name, string? fallback = null) => values.TryGetValue(name, out var v) && v is not null ? v : fallback;
    public int Int(string name, int fallback) => String(name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;
    public double Double(string name, double fallback) => String(name) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;
}
