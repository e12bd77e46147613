using System.Globalization;

namespace Dif.Cli;

/// <summary>Minimal parser: `--name value` (repeatable), `--flag` (no value, for the names in
/// <see cref="Flags"/>), and positional arguments anywhere. The CLI has few options and no dependencies.</summary>
internal sealed class Arguments
{
    /// <summary>Options that take no value.</summary>
    public static readonly HashSet<string> Flags = new(StringComparer.OrdinalIgnoreCase) { "identity-init", "no-high-pass-init", "resume", "boost", "force-denoiser", "refit" };

    private readonly Dictionary<string, List<string>> named = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> used = new(StringComparer.OrdinalIgnoreCase);

    public Arguments(IEnumerable<string> args)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var a = e.Current;
            if (!a.StartsWith("--", StringComparison.Ordinal)) { Positional.Add(a); continue; }
            var name = a[2..];
            if (!named.TryGetValue(name, out var values)) named[name] = values = [];
            if (Flags.Contains(name)) continue;
            if (!e.MoveNext()) throw new UsageException($"option --{name} needs a value");
            values.Add(e.Current);
        }
    }

    public List<string> Positional { get; } = [];

    public bool Flag(string name) { used.Add(name); return named.ContainsKey(name); }

    public List<string> All(string name) { used.Add(name); return named.TryGetValue(name, out var v) ? v : []; }

    public string? String(string name, string? fallback = null)
    {
        used.Add(name);
        return named.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : fallback;
    }

    public int Int(string name, int fallback) => String(name) is { } s ? Number<int>(name, s) : fallback;

    public long Long(string name, long fallback) => String(name) is { } s ? Number<long>(name, s) : fallback;

    public double Double(string name, double fallback) => String(name) is { } s ? Number<double>(name, s) : fallback;

    /// <summary>A comma-separated list of whole numbers, e.g. <c>--train 16,32,64</c>.</summary>
    public List<int> Ints(string name, string fallback)
        => String(name, fallback)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(x => Number<int>(name, x.Trim())).ToList();

    private static T Number<T>(string name, string text) where T : IParsable<T>
        => T.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value
           : throw new UsageException($"option --{name} takes a number, not '{text}'");

    /// <summary>Throws if an option was given that the command never asked for (a typo).</summary>
    public void RejectUnknown()
    {
        var unknown = named.Keys.Where(k => !used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UsageException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
    }
}

internal sealed class UsageException(string message) : Exception(message);
