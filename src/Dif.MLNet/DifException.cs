namespace Dif;

/// <summary>Base class of every error Dif raises on purpose: the message says what went wrong and,
/// where there is one, which file.</summary>
public class DifException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DifException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Something is wrong with one file; the message starts with its path.</summary>
public abstract class DifFileException : DifException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    protected DifFileException(string? path, string reason, Exception? inner)
        : base(path is null ? reason : $"{path}: {reason}", inner)
    {
        FilePath = path;
        Reason = reason;
    }

    /// <summary>The file (or source name) concerned, if known.</summary>
    public string? FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Reason { get; }
}

/// <summary>An image could not be used: unreadable, not an image, too small, too large.</summary>
public sealed class DifImageException(string? path, string reason, Exception? inner = null)
    : DifFileException(path, reason, inner);

/// <summary>A weights or fingerprint file is damaged, foreign or does not fit what it is used for.</summary>
public sealed class DifModelFileException(string? path, string reason, Exception? inner = null)
    : DifFileException(path, reason, inner);

/// <summary>An output file could not be written: its folder is missing or read-only, or the disk is full.
/// The previous file at that path, if any, is unchanged and no temporary file is left behind.</summary>
public sealed class DifOutputException(string? path, string reason, Exception? inner = null)
    : DifFileException(path, reason, inner);

/// <summary>The compute device asked for is not valid or not available here (e.g. CUDA on a CPU-only build
/// or a machine without an NVIDIA driver). Dif never falls back to another device silently.</summary>
public sealed class DifDeviceException(string? device, string message) : DifException(message)
{
    /// <summary>The device as the user asked for it.</summary>
    public string? Device { get; } = device;
}
