using Dif.Fingerprinting;

namespace Dif.Lineage;

/// <summary>A folder of fingerprint files: the known models an image can be attributed to.</summary>
public static class FingerprintLibrary
{
    /// <summary>Loads every <c>*.safetensors</c> fingerprint in <paramref name="folder"/> (sorted by name). A file that
    /// is not a readable fingerprint is reported to <paramref name="skipped"/> and left out, or, with no callback,
    /// ends the load with its error. Unnamed fingerprints take their file name.</summary>
    public static List<Fingerprint> Load(string folder, Action<DifModelFileException>? skipped = null)
    {
        if (!Directory.Exists(folder)) throw new DifException($"{folder}: fingerprint folder not found.");
        var result = new List<Fingerprint>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal))
        {
            try
            {
                var f = Fingerprint.Load(file);
                result.Add(f.Name is null ? f.WithName(ModelName(file)) : f);
            }
            catch (DifModelFileException e) when (skipped is not null)
            {
                skipped(e);
            }
        }
        if (result.Count == 0) throw new DifException($"{folder}: holds no fingerprint files (*.safetensors).");
        return result;
    }

    /// <summary>A file's model name: its name without ".safetensors" and a ".dif" before it.</summary>
    public static string ModelName(string file)
    {
        var name = Path.GetFileName(file);
        foreach (var suffix in new[] { ".safetensors", ".dif" })
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) name = name[..^suffix.Length];
        return name;
    }
}
