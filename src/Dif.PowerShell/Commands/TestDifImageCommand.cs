using System.Management.Automation;
using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Tests whether images were made by the model a fingerprint was fitted on.</summary>
/// <remarks>
/// <para>Test-DifImage computes each image's DnCNN residual on its centre crop (the fingerprint's crop size)
/// and correlates it with the fingerprint. The score is positive when the correlation is nearer the centre of
/// the model's images than that of real images; the probability is calibrated (see the fingerprint's
/// CalibrationSource); the verdict is Generated, Real, or Inconclusive when the probability lies within
/// -InconclusiveBand of 0.5.</para>
/// <para>Images come from -Path (wildcards), -LiteralPath, or the pipeline (Get-ChildItem output binds by
/// PSPath). -Fingerprint takes a DifFingerprint (from New-DifFingerprint) or a fingerprint file. The
/// fingerprint records the denoiser it was fitted with; a different -Denoiser is refused (error
/// DifDenoiserMismatch) unless -ForceDenoiser is given. A fingerprint fitted with -Harmonise records it, and every
/// image is re-encoded the same way before its residual without being asked; a -Harmonise other than the recorded
/// one is refused (error DifHarmonisationMismatch).</para>
/// <para>With -Quiet, only a Boolean per image is written: True when the verdict is Generated. A file that
/// cannot be used gives a non-terminating DifImageUnreadable error naming it, and the rest go on.</para>
/// </remarks>
/// <example title="Verdicts for a folder of images">
/// <code>Get-ChildItem ./inbox -File | Test-DifImage -Fingerprint ./sd14.dif.safetensors</code>
/// <para>A table of verdict, probability, score and correlation per image.</para>
/// </example>
/// <example title="Only the images the model made">
/// <code>Get-ChildItem ./inbox -File | Test-DifImage -Fingerprint $fp | Where-Object IsGenerated</code>
/// <para>IsGenerated is True when the verdict is Generated (not Inconclusive).</para>
/// </example>
/// <example title="A yes/no answer">
/// <code>if (Test-DifImage -LiteralPath ./suspect.png -Fingerprint ./sd14.dif.safetensors -Quiet) { 'made by sd14' }</code>
/// <para>-Quiet writes one Boolean per image.</para>
/// </example>
/// <returns>One DifDetection per image (Path, Name, Fingerprint, Verdict, IsGenerated, Probability, Score, Correlation), or a Boolean with -Quiet.</returns>
[Cmdlet(VerbsDiagnostic.Test, "DifImage", DefaultParameterSetName = PathSet)]
[OutputType(typeof(DifDetection))]
[OutputType(typeof(bool))]
public sealed class TestDifImageCommand : DifCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private Denoiser? denoiser;
    private ImageLoadOptions? options;
    private DetectionOptions? detection;
    private ProgressReporter? progress;

    /// <summary>Image files or folders to test. Wildcards are expanded; a folder stands for the images directly in it.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Image files or folders to test, taken exactly as written. Get-ChildItem output binds here through PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>The fingerprint: a DifFingerprint object (from New-DifFingerprint) or a fingerprint file.</summary>
    [Parameter(Mandatory = true)]
    [FingerprintTransformation]
    public DifFingerprint Fingerprint { get; set; } = null!;

    /// <summary>Verdicts whose probability lies within this distance of 0.5 are Inconclusive (0 turns the band off).</summary>
    /// <value>0.1</value>
    [Parameter]
    [ValidateRange(0.0, 0.49)]
    public double InconclusiveBand { get; set; } = DetectionOptions.DefaultInconclusiveBand;

    /// <summary>A denoiser file; it must be the one the fingerprint was fitted with.</summary>
    /// <value>the default denoiser bundled with Dif</value>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Denoiser { get; set; }

    /// <summary>Scores even when the denoiser is not the one the fingerprint was fitted with (the scores may be meaningless).</summary>
    [Parameter]
    public SwitchParameter ForceDenoiser { get; set; }

    /// <summary>Where the denoiser runs: auto, cpu, cuda or cuda:N.</summary>
    /// <value>auto</value>
    [Parameter]
    [ArgumentCompletions("auto", "cpu", "cuda", "cuda:0")]
    [ValidateDevice]
    public string Device { get; set; } = "auto";

    /// <summary>The arithmetic of residual extraction: Float32, or BFloat16 for about twice the images/s on CPUs with
    /// AVX-512 BF16. BFloat16 keeps the ranking (AUC) but moves correlations by about a tenth of the gap between the
    /// fingerprint's class centres, so verdicts near the boundary can change (docs/performance.md).</summary>
    /// <value>Float32</value>
    [Parameter]
    [ValidateSet("Float32", "BFloat16")]
    public string Precision { get; set; } = "Float32"; // a string: the module's public surface names no Dif.MLNet type (dependency isolation)

    /// <summary>The harmonisation the fingerprint was fitted with, e.g. 'jpeg:90'. Not needed: the fingerprint's own is
    /// applied to every image anyway; given, it must match it (a check that the fingerprint is the one meant).</summary>
    /// <value>the fingerprint's (none if it records none)</value>
    [Parameter]
    [ArgumentCompletions("jpeg:90", "jpeg:95", "jpeg:75")]
    [ValidateHarmonise]
    public string? Harmonise { get; set; }

    /// <summary>Writes only True (verdict Generated) or False for each image.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        denoiser = LoadDenoiser(Denoiser, Device, Enum.Parse<InferencePrecision>(Precision, ignoreCase: true));
        try
        {
            Fingerprint.Fingerprint.EnsureDenoiser(denoiser, ForceDenoiser, Fingerprint.Path);
            if (Fingerprint.Fingerprint.DenoiserCaveat(denoiser, Fingerprint.Path) is { } caveat) WriteWarning(caveat);
            // The fingerprint's crop size and harmonisation, applied to every image.
            options = Fingerprint.Fingerprint.ImageOptions(Harmonise is null ? null : Harmonisation.Parse(Harmonise), fingerprintSource: Fingerprint.Path);
        }
        catch (Exception e) when (e is DifDenoiserMismatchException or DifHarmonisationMismatchException)
        {
            ThrowTerminatingError(DifErrors.FromDif((DifException)e, Fingerprint.Path ?? Fingerprint.Name));
        }
        detection = new DetectionOptions { InconclusiveBand = InconclusiveBand };
        progress = new ProgressReporter(this, 1, $"Test-DifImage: {Fingerprint}");
        WriteVerbose($"Fingerprint {Fingerprint} (crop {Fingerprint.CropSize}, calibration: {Fingerprint.CalibrationSource}, harmonisation: {Fingerprint.Harmonise ?? "none"}).");
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var file in EachInputFile(literal ? LiteralPath : Path, literal, progress!))
        {
            try
            {
                var d = Fingerprint.Fingerprint.Detect(denoiser!.ExtractResidual(ImageLoader.Load(file, options)), detection);
                WriteVerbose(FormattableString.Invariant($"{file}: {d.Verdict}, P {d.Probability:F3}, score {d.Score:F5}, ρ {d.Correlation:F5}."));
                if (Quiet) WriteObject(d.Verdict == Verdict.Generated);
                else WriteObject(new DifDetection(file, Fingerprint.Name, d));
            }
            catch (DifException e)
            {
                WriteError(DifErrors.FromDif(e, file));
            }
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing() => progress?.Complete();
}
