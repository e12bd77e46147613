using System.Text.RegularExpressions;

namespace Dif.Evaluation;

/// <summary>One image file of a wallpaper package, as checked by eye for the real-photo corpus.</summary>
/// <param name="Package">Debian package name.</param>
/// <param name="Version">The package version the verdict was made on.</param>
/// <param name="Member">Path of the file inside the package (as <c>dpkg-deb -x</c> unpacks it).</param>
/// <param name="Verdict"><c>photo</c> (kept) or why not (illustration, texture, thumbnail, smaller-copy).</param>
/// <param name="DenoiserSplit"><c>train</c> or <c>heldout</c> for photos: whether the default denoiser trains on them.</param>
/// <param name="Note">What the picture shows.</param>
public sealed record ManifestEntry(string Package, string Version, string Member, string Verdict, string DenoiserSplit, string Note)
{
    /// <summary>True for files kept in the corpus.</summary>
    public bool IsPhoto => Verdict == "photo";

    /// <summary>A short, file-name-safe name of the photo (its file or wallpaper folder name).</summary>
    public string PhotoName
    {
        get
        {
            var parts = Member.Split('/');
            // Plasma wallpapers are folders: usr/share/wallpapers/NAME/contents/images/WxH.jpg.
            int w = Array.IndexOf(parts, "wallpapers");
            var name = w >= 0 && w + 1 < parts.Length - 1 ? parts[w + 1] : Path.GetFileNameWithoutExtension(Member);
            return Regex.Replace(name, "[^A-Za-z0-9_]+", "_");
        }
    }
}

/// <summary>The list of checked files (<c>data/corpus/photos.tsv</c>): tab-separated, '#' comments, a header row.</summary>
public static class PhotoManifest
{
    /// <summary>Reads the manifest.</summary>
    public static IReadOnlyList<ManifestEntry> Read(string path)
    {
        if (!File.Exists(path)) throw new DifException($"{path}: photo manifest not found.");
        var entries = new List<ManifestEntry>();
        bool header = true;
        int line = 0;
        foreach (var raw in File.ReadLines(path))
        {
            line++;
            if (raw.StartsWith('#') || raw.Trim().Length == 0) continue;
            if (header) { header = false; continue; }
            var f = raw.Split('\t');
            if (f.Length != 6) throw new DifException($"{path}:{line}: expected 6 tab-separated fields, found {f.Length}.");
            entries.Add(new ManifestEntry(f[0], f[1], f[2], f[3], f[4], f[5]));
        }
        return entries;
    }
}

/// <summary>The licence of a file from a package's machine-readable copyright file (DEP-5). Its
/// <c>Files:</c> patterns name source paths, not installed ones, so a pattern matches an installed
/// file when its last path segment matches the file's name (with * and ? wildcards); as DEP-5 says,
/// the last matching stanza wins, and a bare <c>*</c> is the package-wide default.</summary>
public static class DebianCopyright
{
    /// <summary>The matching stanza's copyright holder and licence, or null when the file has no stanza.</summary>
    public static (string Copyright, string License)? Find(string copyrightFile, string member)
    {
        if (!File.Exists(copyrightFile)) return null;
        var name = Path.GetFileName(member);
        (string, string)? found = null, fallback = null;
        foreach (var stanza in Stanzas(File.ReadAllText(copyrightFile)))
        {
            if (!stanza.TryGetValue("Files", out var files) || !stanza.TryGetValue("License", out var license)) continue;
            var copyright = stanza.GetValueOrDefault("Copyright", "");
            var licenseName = license.Split('\n')[0].Trim();
            foreach (var pattern in files.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (pattern == "*") { fallback = (copyright, licenseName); continue; }
                if (pattern.StartsWith("debian/", StringComparison.Ordinal)) continue;
                if (Glob(pattern.Split('/')[^1]).IsMatch(name)) found = (copyright, licenseName);
            }
        }
        return found ?? fallback;
    }

    private static Regex Glob(string pattern)
        => new("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$");

    /// <summary>Paragraphs of "Field: value" lines; continuation lines start with a space.</summary>
    private static IEnumerable<Dictionary<string, string>> Stanzas(string text)
    {
        foreach (var block in Regex.Split(text.Replace("\r", ""), @"\n\s*\n"))
        {
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string? last = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.Length == 0) continue;
                if ((line[0] == ' ' || line[0] == '\t') && last is not null) { fields[last] += "\n" + line.Trim(); continue; }
                int colon = line.IndexOf(':');
                if (colon <= 0) continue;
                last = line[..colon].Trim();
                fields[last] = line[(colon + 1)..].Trim();
            }
            if (fields.Count > 0) yield return fields;
        }
    }
}
