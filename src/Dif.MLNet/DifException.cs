namespace Dif;

/// <summary>Base class of every error Dif raises on purpose: the message says what went wrong and,
/// where there is one, which file.</summary>
public class DifException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DifException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>An image could not be used: unreadable, not an image, too small, too large.</summary>
public sealed class DifImageException : DifException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public DifImageException(string? path, string reason, Exception? inner = null)
        : base(path is null ? reason : $"{path}: {reason}", inner)
    {
        FilePath = path;
        Reason = reason;
    }

    /// <summary>The file (or source name) the image came from, if known.</summary>
    public string? FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Reason { get; }
}

/// <summary>A weights or fingerprint file is damaged, foreign or does not fit what it is used for.</summary>
public sealed class DifModelFileException : DifException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public DifModelFileException(string? path, string reason, Exception? inner = null)
        : base(path is null ? reason : $"{path}: {reason}", inner)
    {
        FilePath = path;
        Reason = reason;
    }

    /// <summary>The file concerned, if known.</summary>
    public string? FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Reason { get; }
}
