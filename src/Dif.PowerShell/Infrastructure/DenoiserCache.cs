using System.Collections.Concurrent;
using Dif.Denoising;

namespace Dif.PowerShell.Infrastructure;

/// <summary>Keeps loaded denoisers for the life of the module, so a script that calls a cmdlet once per
/// file does not pay the load (about half a second) every time. A file is reloaded when its size or
/// time stamp changes. Denoisers serialise their own calls, so sharing one across runspaces is safe.
/// Emptied (and the denoisers disposed) when the module is removed.</summary>
internal static class DenoiserCache
{
    private static readonly ConcurrentDictionary<string, Lazy<Denoiser>> Loaded = new(StringComparer.Ordinal);

    /// <summary>The denoiser for <paramref name="file"/> (null: the bundled default) on <paramref name="device"/>.
    /// Each precision gets an instance of its own, so a bf16 caller never changes another caller's residuals.</summary>
    internal static Denoiser Get(string? file, string device, InferencePrecision precision = InferencePrecision.Float32)
    {
        string key = (file is null
            ? $"default|{device}"
            : $"{file}|{device}|{new FileInfo(file).Length}|{File.GetLastWriteTimeUtc(file).Ticks}") + $"|{precision}";
        var entry = Loaded.GetOrAdd(key, _ => new Lazy<Denoiser>(() =>
        {
            var d = file is null ? Denoiser.LoadDefault(device) : Denoiser.Load(file, device);
            d.Precision = precision;
            return d;
        }));
        try { return entry.Value; }
        catch
        {
            Loaded.TryRemove(key, out _); // a failed load is not cached
            throw;
        }
    }

    internal static void Clear()
    {
        foreach (var key in Loaded.Keys)
            if (Loaded.TryRemove(key, out var entry) && entry.IsValueCreated) entry.Value.Dispose();
    }
}
