namespace Dif.Imaging;

/// <summary>Which files of a folder Dif treats as images: every non-hidden file, in ordinal name
/// order (so runs are reproducible). The format is decided later by content, never by extension.</summary>
public static class ImageFiles
{
    /// <summary>The candidate image files directly in <paramref name="folder"/>.</summary>
    public static IEnumerable<string> In(string folder)
        => Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal);
}
