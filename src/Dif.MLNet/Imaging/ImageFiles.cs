namespace Dif.Imaging;

/// <summary>Which files of a folder Dif treats as images: every non-hidden file, in ordinal name
/// order (so runs are reproducible). The format is decided later by content, never by extension.</summary>
public static class ImageFiles
{
    /// <summary>The candidate image files directly in <paramref name="folder"/>.</summary>
    public static IEnumerable<string> In(string folder)
        => Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal);

    /// <summary>The candidate image files in <paramref name="folder"/> and every folder below it, in ordinal
    /// path order. Hidden files and folders (names starting with '.', such as a residual cache) are left out,
    /// and links to folders are not followed (a link loop cannot make the listing endless).</summary>
    public static IEnumerable<string> Under(string folder)
    {
        var found = new List<string>();
        var pending = new Stack<string>([folder]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            found.AddRange(In(dir));
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                if (Path.GetFileName(sub).StartsWith('.')) continue;
                if (new DirectoryInfo(sub).LinkTarget is not null) continue;
                pending.Push(sub);
            }
        }
        return found.Order(StringComparer.Ordinal);
    }

    /// <summary>The candidate image files of <paramref name="inputs"/>: a folder stands for the files in it and
    /// below it (<see cref="Under"/>), anything else is taken as a file (a missing one is reported when it is
    /// read). Each file appears once, at its first mention.</summary>
    public static IEnumerable<string> UnderAll(IEnumerable<string> inputs)
    {
        var seen = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (var input in inputs)
            foreach (var file in Directory.Exists(input) ? Under(input) : [input])
                if (seen.Add(Path.GetFullPath(file))) yield return file;
    }
}
