using System.Management.Automation;

namespace Dif.PowerShell.Infrastructure;

/// <summary>The stable error ids the module's ErrorRecords carry. A record's FullyQualifiedErrorId is
/// "ID,Dif.PowerShell.Commands.CMDLETCLASS"; scripts and the Pester specs match on the id. Never
/// rename one: add a new id instead.</summary>
public static class ErrorIds
{
    /// <summary>An input image could not be read or used (damaged, not an image, too small, too large). InvalidData; target: its path.</summary>
    public const string ImageUnreadable = "DifImageUnreadable";
    /// <summary>A -Path or -LiteralPath names nothing (or a wildcard matches nothing). ObjectNotFound; target: the path as given.</summary>
    public const string PathNotFound = "DifPathNotFound";
    /// <summary>A path resolves outside the file system (registry, variables, ...). InvalidArgument; target: the path.</summary>
    public const string PathNotFileSystem = "DifPathNotFileSystem";
    /// <summary>An output file exists and -Force was not given. ResourceExists; target: the output path.</summary>
    public const string OutputExists = "DifOutputExists";
    /// <summary>Two inputs of one call would write the same output file. ResourceExists; target: the output path.</summary>
    public const string OutputCollision = "DifOutputCollision";
    /// <summary>Writing an output file failed (the previous file, if any, is unchanged). WriteError; target: the output path.</summary>
    public const string OutputWriteFailed = "DifOutputWriteFailed";
    /// <summary>-OutFile names one file but more than one image came in. InvalidOperation; terminating.</summary>
    public const string OutFileNeedsOneImage = "DifOutFileNeedsOneImage";
    /// <summary>Parameters that cannot be used together. InvalidArgument; terminating.</summary>
    public const string ParameterConflict = "DifParameterConflict";
    /// <summary>A denoiser file could not be loaded (missing, damaged, foreign). InvalidData or ObjectNotFound; terminating; target: its path.</summary>
    public const string DenoiserUnreadable = "DifDenoiserUnreadable";
    /// <summary>The requested -Device is not valid or not available (for example cuda on a CPU build). DeviceError; terminating.</summary>
    public const string DeviceUnavailable = "DifDeviceUnavailable";
    /// <summary>Fitting found no usable image of one class, or a cross-validation (Measure-DifDetector -Folds) fewer usable images of a class than folds. InvalidData; terminating.</summary>
    public const string NotEnoughImages = "DifNotEnoughImages";
    /// <summary>A fingerprint was fitted with another denoiser than the one offered (use -ForceDenoiser to score anyway). InvalidOperation; terminating.</summary>
    public const string DenoiserMismatch = "DifDenoiserMismatch";
    /// <summary>-Harmonise asks for another harmonisation than the fingerprint records (leave it out: the fingerprint's own is applied). InvalidOperation; terminating.</summary>
    public const string HarmonisationMismatch = "DifHarmonisationMismatch";
    /// <summary>A PyTorch checkpoint was refused (damaged, foreign, or holding code). InvalidData; target: its path.</summary>
    public const string CheckpointRefused = "DifCheckpointRefused";
    /// <summary>Any other failure Dif reports on purpose (a DifException). NotSpecified.</summary>
    public const string OperationFailed = "DifOperationFailed";
}

/// <summary>Builds the module's ErrorRecords: stable id, category, target object, and the library's
/// message (which starts with the file path when there is one).</summary>
internal static class DifErrors
{
    internal static ErrorRecord Record(Exception exception, string errorId, ErrorCategory category, object? target, string? recommendedAction = null)
    {
        var record = new ErrorRecord(exception, errorId, category, target);
        if (recommendedAction is not null) record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = recommendedAction };
        return record;
    }

    /// <summary>The record for a failure of the library while processing <paramref name="target"/>.</summary>
    internal static ErrorRecord FromDif(DifException exception, object? target) => exception switch
    {
        DifImageException => Record(exception, ErrorIds.ImageUnreadable, ErrorCategory.InvalidData, target),
        DifModelFileException => Record(exception, ErrorIds.DenoiserUnreadable, ErrorCategory.InvalidData, target),
        DifOutputException o => Record(exception, ErrorIds.OutputWriteFailed, ErrorCategory.WriteError, o.FilePath ?? target),
        Fingerprinting.DifDenoiserMismatchException => Record(exception, ErrorIds.DenoiserMismatch, ErrorCategory.InvalidOperation, target),
        Imaging.DifHarmonisationMismatchException => Record(exception, ErrorIds.HarmonisationMismatch, ErrorCategory.InvalidOperation, target),
        _ => Record(exception, ErrorIds.OperationFailed, ErrorCategory.NotSpecified, target),
    };

    internal static ErrorRecord Terminating(string message, string errorId, ErrorCategory category, object? target)
        => Record(new PSArgumentException(message), errorId, category, target);
}
