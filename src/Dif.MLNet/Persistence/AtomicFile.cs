namespace Dif.Persistence;

/// <summary>Writes files so that readers never see a half-written one: the content goes to a
/// temporary file in the same folder, which is flushed to disk and then renamed over the target.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>. If anything fails or is
    /// cancelled, the previous file (if any) is left as it was and the temporary file is removed. A folder that
    /// is missing or not writable, or a full disk, raises a <see cref="DifOutputException"/> naming the file.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
            throw new DifOutputException(path, $"the folder '{dir}' does not exist.");
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            TryDelete(temp);
            throw new DifOutputException(path, $"cannot write here ({e.Message}); the previous file, if any, is unchanged.", e);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            TryDelete(temp);
            throw new DifOutputException(path, $"writing failed ({e.Message}); the previous file, if any, is unchanged.", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
