using System.Management.Automation;
using Dif.Denoising;
using Dif.Imaging;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Computes the DnCNN noise residual of images, the raw material of Dif's fingerprints.</summary>
/// <remarks>
/// <para>Get-DifResidual decodes each image (the format is decided by content, EXIF orientation is honoured),
/// takes its centre crop of CropSize×CropSize pixels and runs the DnCNN denoiser over it. The residual is the
/// denoiser's noise prediction minus the denoiser's own bias pattern: R = f_D(X) − F_DnCNN. Generative models
/// leave faint, structured traces in it that Dif's fingerprints learn.</para>
/// <para>Images come from -Path (wildcards allowed), -LiteralPath (taken as written), strings on the pipeline,
/// or Get-ChildItem output on the pipeline (bound through its PSPath property). A folder stands for the images
/// directly in it. Each image yields one DifResidual object with its path, size, crop size, the residual
/// (3×CropSize×CropSize floats, channel-major) and its RMS.</para>
/// <para>With -OutDirectory or -OutFile the residual is also written as a PNG picture (zero is mid-gray,
/// ±3 standard deviations black and white). Writes are atomic: a picture is written to a temporary file and
/// renamed into place, so Ctrl+C never leaves a half-written file. Existing files are kept unless -Force is
/// given. -WhatIf and -Confirm apply to the writes only: residuals are still computed and emitted.</para>
/// <para>A file that cannot be used (damaged, not an image, smaller than the crop) gives a non-terminating
/// error with the id DifImageUnreadable, category InvalidData and the file's path as target object; the other
/// images are still processed.</para>
/// </remarks>
/// <example title="Residuals of every image in a folder">
/// <code>Get-ChildItem ./photos -File | Get-DifResidual</code>
/// <para>Shows a table with each image's name, size, crop size and residual RMS (in 8-bit levels).</para>
/// </example>
/// <example title="Write residual pictures">
/// <code>Get-DifResidual -Path ./photos/*.jpg -OutDirectory ./residuals -CropSize 128</code>
/// <para>Writes NAME.residual.png into ./residuals for each JPEG file, computed on the centre 128×128 crop.</para>
/// </example>
/// <example title="A file whose name contains wildcard characters">
/// <code>Get-DifResidual -LiteralPath './scan[1].png' -OutFile ./scan1-residual.png</code>
/// <para>-LiteralPath takes the name as written; with -Path, [1] would be a wildcard character class.</para>
/// </example>
/// <example title="Keep going past bad files, and look at them afterwards">
/// <code>$r = Get-ChildItem ./inbox -File | Get-DifResidual -ErrorVariable bad -ErrorAction SilentlyContinue
/// $bad | ForEach-Object { '{0}: {1}' -f $_.TargetObject, $_.Exception.Message }</code>
/// <para>Unreadable files are reported with their path; the residuals of the others are in $r.</para>
/// </example>
/// <example title="Use a denoiser of your own">
/// <code>Get-DifResidual -Path ./photos -Denoiser ./my-dncnn.safetensors -Device cpu | Sort-Object Rms -Descending</code>
/// <para>Uses a denoiser trained with 'dif train-denoiser' instead of the bundled one, on the CPU.</para>
/// </example>
/// <returns>One object per image read: its Path, Name, Width, Height, CropSize, Residual (float[]), Rms,
/// DenoiserIdentity and OutFile (the picture written, or null).</returns>
[Cmdlet(VerbsCommon.Get, "DifResidual", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(DifResidual))]
public sealed class GetDifResidualCommand : DifCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    private Denoiser? denoiser;
    private ImageLoadOptions? options;
    private string? outDirectory;
    private string? outFile;
    private int images;
    private ProgressReporter? progress;
    private readonly Dictionary<string, string> written = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    /// <summary>Image files or folders to read. Wildcards are expanded; a folder stands for the images directly in it.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Image files or folders to read, taken exactly as written (no wildcards). Get-ChildItem output binds here
    /// through its PSPath property, and .NET FileInfo objects through FullName.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>A denoiser file (safetensors, written by 'dif train-denoiser' or Denoiser.Save) to use instead of the
    /// bundled default denoiser.</summary>
    /// <value>the default denoiser bundled with Dif</value>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Denoiser { get; set; }

    /// <summary>Where the denoiser runs: auto (CUDA when available, else CPU), cpu, cuda or cuda:N. Asking for CUDA
    /// where it is not available is an error, never a silent fall-back to the CPU.</summary>
    /// <value>auto</value>
    [Parameter]
    [ArgumentCompletions("auto", "cpu", "cuda", "cuda:0")]
    [ValidateDevice]
    public string Device { get; set; } = "auto";

    /// <summary>Side in pixels of the square centre crop the residual is computed on: a multiple of 16. Images smaller
    /// than the crop are refused (error DifImageUnreadable).</summary>
    /// <value>256</value>
    [Parameter]
    [ValidateCropSize]
    public int CropSize { get; set; } = ImageLoadOptions.DefaultCropSize;

    /// <summary>Writes the residual picture (PNG) of the one input image to this file. Use -OutDirectory for several images.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    /// <summary>Writes each image's residual picture into this folder as NAME.residual.png (NAME is the image's file
    /// name without its extension). The folder is created if needed.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutDirectory { get; set; }

    /// <summary>Overwrites residual pictures that already exist. Without it, an existing file is left as it is and the
    /// image gets a DifOutputExists error.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        if (OutFile is not null && OutDirectory is not null)
            ThrowTerminatingError(DifErrors.Terminating("Use -OutFile or -OutDirectory, not both.", ErrorIds.ParameterConflict, ErrorCategory.InvalidArgument, null));
        options = new ImageLoadOptions { CropSize = CropSize };
        if (OutFile is not null) outFile = ResolveOutputPath(OutFile);
        if (OutDirectory is not null) outDirectory = ResolveOutputPath(OutDirectory);
        denoiser = LoadDenoiser(Denoiser, Device);
        progress = new ProgressReporter(this, 1, "Get-DifResidual: extracting DnCNN residuals");
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var file in EachInputFile(literal ? LiteralPath : Path, literal, progress!)) Process(file);
    }

    private void Process(string file)
    {
        images++;
        if (outFile is not null && images > 1)
            ThrowTerminatingError(DifErrors.Terminating(
                $"-OutFile names one file but more than one image came in ({file} is the second); use -OutDirectory.",
                ErrorIds.OutFileNeedsOneImage, ErrorCategory.InvalidOperation, file));

        string? target = outFile ?? (outDirectory is null ? null
            : System.IO.Path.Combine(outDirectory, System.IO.Path.GetFileNameWithoutExtension(file) + ".residual.png"));
        if (target is not null && !CanWrite(file, target)) return;

        WriteVerbose($"{file}: reading and cropping to {CropSize}×{CropSize}.");
        PreparedImage image;
        float[] residual;
        try
        {
            image = ImageLoader.Load(file, options);
            ThrowIfStopping();
            residual = denoiser!.ExtractResidual(image);
        }
        catch (DifException e)
        {
            WriteError(DifErrors.FromDif(e, file));
            return;
        }
        ThrowIfStopping();

        string? writtenTo = null;
        if (target is not null && ShouldProcess(target, $"Write the residual picture of {file}"))
        {
            try
            {
                var folder = System.IO.Path.GetDirectoryName(target);
                if (outDirectory is not null && folder is not null) Directory.CreateDirectory(folder);
                ImageWriter.SaveSigned(residual, image.Size, image.Size, target);
                writtenTo = target;
                WriteVerbose($"{file}: residual picture written to {target}.");
            }
            catch (Exception e) when (e is DifException or IOException or UnauthorizedAccessException)
            {
                WriteError(DifErrors.Record(e, ErrorIds.OutputWriteFailed, ErrorCategory.WriteError, target));
            }
        }
        var result = new DifResidual(file, image.OriginalWidth, image.OriginalHeight, image.Size, residual, denoiser.Identity, writtenTo);
        WriteVerbose(FormattableString.Invariant($"{file}: {result.Width}×{result.Height}, residual RMS {result.Rms * 255:F2}/255."));
        WriteObject(result);
    }

    /// <summary>Refuses to overwrite an existing file without -Force, or a picture this call wrote already.</summary>
    private bool CanWrite(string file, string target)
    {
        if (written.TryGetValue(target, out var earlier))
        {
            WriteError(DifErrors.Record(new IOException($"{target}: the residual picture of {earlier} goes there too (same file name); {file} was skipped. Use another -OutDirectory for one of them."),
                ErrorIds.OutputCollision, ErrorCategory.ResourceExists, target));
            return false;
        }
        written[target] = file;
        if (File.Exists(target) && !Force)
        {
            WriteError(DifErrors.Record(new IOException($"{target}: the file exists; use -Force to overwrite it. {file} was skipped."),
                ErrorIds.OutputExists, ErrorCategory.ResourceExists, target));
            return false;
        }
        return true;
    }

    /// <inheritdoc />
    protected override void EndProcessing() => progress?.Complete();
}
