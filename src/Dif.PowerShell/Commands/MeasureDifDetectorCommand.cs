using System.Management.Automation;
using Dif.Denoising;
using Dif.Evaluation;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Measures detectors on labelled folders: balanced accuracy, AUC and the confusion table.</summary>
/// <remarks>
/// <para>With -Fingerprint, the given fingerprint is measured on the test images in -RealPath and -FakePath.
/// With -TrainRealPath and -TrainFakePath instead, the evaluation harness fits Dif's fingerprint and the
/// residual-averaging baseline on the same training images (identical splits) and measures both on the test
/// images, so the two can be compared side by side.</para>
/// <para>-Harmonise 'jpeg:Q' re-encodes every image (training and test, both classes) as JPEG at quality Q before its
/// residual. A -Fingerprint applies its own recorded harmonisation without being asked, and refuses another
/// (DifHarmonisationMismatch).</para>
/// <para>Residuals are computed once per image; unreadable images are reported (DifImageUnreadable) and left
/// out. Balanced accuracy is the mean of real and generated accuracy at the decision boundary (score 0), as
/// the method's paper reports; AUC does not depend on the boundary.</para>
/// </remarks>
/// <example title="Measure a saved fingerprint">
/// <code>Measure-DifDetector -Fingerprint ./sd14.dif.safetensors -RealPath ./test/real -FakePath ./test/sd14</code>
/// <para>One row: the fingerprint's balanced accuracy, AUC and confusion counts on the test folders.</para>
/// </example>
/// <example title="Dif against the baseline on identical splits">
/// <code>Measure-DifDetector -TrainRealPath ./train/real -TrainFakePath ./train/sd14 -RealPath ./test/real -FakePath ./test/sd14 -Epochs 100 |
///     Format-Table Detector, BalancedAccuracy, Auc</code>
/// <para>Two rows: Dif fingerprint and residual averaging, fitted on the same training images.</para>
/// </example>
/// <returns>One DifMeasurement per detector.</returns>
[Cmdlet(VerbsDiagnostic.Measure, "DifDetector", DefaultParameterSetName = FingerprintSet)]
[OutputType(typeof(DifMeasurement))]
public sealed class MeasureDifDetectorCommand : DifCmdlet
{
    private const string FingerprintSet = "Fingerprint";
    private const string FitSet = "Fit";

    /// <summary>The fingerprint to measure: a DifFingerprint or a fingerprint file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FingerprintSet)]
    [FingerprintTransformation]
    public DifFingerprint Fingerprint { get; set; } = null!;

    /// <summary>Real test images: files, folders or wildcard patterns.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] RealPath { get; set; } = [];

    /// <summary>Generated test images: files, folders or wildcard patterns.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] FakePath { get; set; } = [];

    /// <summary>Real training images (fits Dif and the baseline on them).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FitSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] TrainRealPath { get; set; } = [];

    /// <summary>Generated training images.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FitSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] TrainFakePath { get; set; } = [];

    /// <summary>Epochs of Dif's fit.</summary>
    /// <value>100</value>
    [Parameter(ParameterSetName = FitSet)]
    [ValidateRange(1, 100000)]
    public int Epochs { get; set; } = 100;

    /// <summary>Crop size when fitting (with -Fingerprint, the fingerprint's own crop size is used).</summary>
    /// <value>256</value>
    [Parameter(ParameterSetName = FitSet)]
    [ValidateCropSize]
    public int CropSize { get; set; } = ImageLoadOptions.DefaultCropSize;

    /// <summary>Re-encodes every image identically in memory before its residual: 'jpeg:Q' is JPEG at quality Q (1–100,
    /// 4:2:0 chroma) applied to the centre crop. With -Fingerprint, the fingerprint's recorded harmonisation is applied
    /// anyway, and this must match it.</summary>
    /// <value>none when fitting; the fingerprint's with -Fingerprint</value>
    [Parameter]
    [ArgumentCompletions("jpeg:90", "jpeg:95", "jpeg:75")]
    [ValidateHarmonise]
    public string? Harmonise { get; set; }

    /// <summary>A denoiser file instead of the bundled default.</summary>
    /// <value>the default denoiser bundled with Dif</value>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Denoiser { get; set; }

    /// <summary>Where the networks run: auto, cpu, cuda or cuda:N.</summary>
    /// <value>auto</value>
    [Parameter]
    [ArgumentCompletions("auto", "cpu", "cuda", "cuda:0")]
    [ValidateDevice]
    public string Device { get; set; } = "auto";

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var denoiser = LoadDenoiser(Denoiser, Device);
        bool given = ParameterSetName == FingerprintSet;
        var harmonise = Harmonise is null ? null : Harmonisation.Parse(Harmonise);
        try
        {
            var options = given ? Fingerprint.Fingerprint.ImageOptions(harmonise, fingerprintSource: Fingerprint.Path)
                                : new ImageLoadOptions { CropSize = CropSize, Harmonise = harmonise };
            if (given) Fingerprint.Fingerprint.EnsureDenoiser(denoiser, fingerprintSource: Fingerprint.Path);
            var progress = new ProgressReporter(this, 1, "Measure-DifDetector: residuals");
            List<float[]> Residuals(string[] paths) => ExtractResiduals(paths, denoiser, options, progress);
            var test = new LabelledResiduals(Residuals(RealPath), Residuals(FakePath));
            if (test.Real.Count == 0 || test.Fake.Count == 0)
                ThrowTerminatingError(DifErrors.Terminating($"Measuring needs test images of both classes; usable: {test.Real.Count} real, {test.Fake.Count} generated.",
                    ErrorIds.NotEnoughImages, ErrorCategory.InvalidData, null));
            LabelledResiduals train;
            IReadOnlyList<Func<IResidualDetector>> detectors;
            if (given)
            {
                train = new LabelledResiduals([], []);
                detectors = [() => new GivenFingerprint(Fingerprint)];
            }
            else
            {
                train = new LabelledResiduals(Residuals(TrainRealPath), Residuals(TrainFakePath));
                var fit = new FingerprintFitOptions { Epochs = Epochs, Device = Device, CalibrationFraction = 0 };
                detectors = [() => new DifFingerprintDetector(fit), () => new ResidualAveragingDetector()];
            }
            progress.Complete();
            int n = Math.Min(train.Real.Count, train.Fake.Count);
            WriteVerbose($"Measuring on {test.Real.Count} real and {test.Fake.Count} generated test images{(given ? "" : $", fitting on {n} per class")}.");
            var report = EvaluationHarness.Run("Measure-DifDetector", detectors, train, test, [n], Stopping);
            foreach (var r in report.Results) WriteObject(new DifMeasurement(r, test.Real.Count, test.Fake.Count));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (DifException e)
        {
            ThrowTerminatingError(DifErrors.FromDif(e, Fingerprint?.Path));
        }
    }

    /// <summary>An already fitted fingerprint behind the harness's detector interface (fitting does nothing).</summary>
    private sealed class GivenFingerprint(DifFingerprint fingerprint) : IResidualDetector
    {
        public string Name => fingerprint.Name ?? "fingerprint";
        public void Fit(IReadOnlyList<float[]> realResiduals, IReadOnlyList<float[]> fakeResiduals, CancellationToken cancellationToken = default) { }
        public double Score(float[] residual) => fingerprint.Fingerprint.Score(residual);
    }

}
