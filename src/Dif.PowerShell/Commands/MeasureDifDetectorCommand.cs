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
/// <para>With -Folds K instead, -RealPath and -FakePath are all the images there are (folders are read with every
/// folder below them): each class is split into K near-equal folds after a shuffle seeded by -Seed, and for each fold
/// both detectors are fitted on the other K−1 folds and score the held-out one, so every image is tested exactly once and
/// both detectors see identical folds. One DifCrossValidation per detector gives the per-fold balanced accuracy and AUC,
/// their mean and sample standard deviation, and the pooled out-of-fold AUC and balanced accuracy. This answers "how far
/// can I trust a fingerprint of this model?" from a few images, without setting any aside for good.</para>
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
/// <example title="Cross-validate on your own folders">
/// <code>Measure-DifDetector -RealPath ./photos -FakePath ./model-x -Folds 5 -Seed 1 |
///     Format-Table Detector, MeanBalancedAccuracy, SdBalancedAccuracy, PooledAuc</code>
/// <para>Two rows, Dif fingerprint and residual averaging, each cross-validated over the same 5 stratified folds;
/// FoldBalancedAccuracy and FoldAuc hold the per-fold values.</para>
/// </example>
/// <returns>One DifMeasurement per detector, or with -Folds one DifCrossValidation per detector.</returns>
[Cmdlet(VerbsDiagnostic.Measure, "DifDetector", DefaultParameterSetName = FingerprintSet)]
[OutputType(typeof(DifMeasurement), ParameterSetName = [FingerprintSet, FitSet])]
[OutputType(typeof(DifCrossValidation), ParameterSetName = [CrossValidationSet])]
public sealed class MeasureDifDetectorCommand : DifCmdlet
{
    private const string FingerprintSet = "Fingerprint";
    private const string FitSet = "Fit";
    private const string CrossValidationSet = "CrossValidation";

    /// <summary>The fingerprint to measure: a DifFingerprint or a fingerprint file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FingerprintSet)]
    [FingerprintTransformation]
    public DifFingerprint Fingerprint { get; set; } = null!;

    /// <summary>Real test images: files, folders or wildcard patterns. With -Folds, every real image (folders are read recursively).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] RealPath { get; set; } = [];

    /// <summary>Generated test images: files, folders or wildcard patterns. With -Folds, every generated image of the model (folders are read recursively).</summary>
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

    /// <summary>K: cross-validate both detectors over K stratified folds of -RealPath and -FakePath (at least 2, and
    /// at most the number of usable images of the smaller class).</summary>
    [Parameter(Mandatory = true, ParameterSetName = CrossValidationSet)]
    [ValidateRange(2, 100000)]
    public int Folds { get; set; }

    /// <summary>Seed of the shuffle that assigns images to folds (the same seed and images give the same folds).</summary>
    /// <value>1</value>
    [Parameter(ParameterSetName = CrossValidationSet)]
    public int Seed { get; set; } = 1;

    /// <summary>Epochs of Dif's fit.</summary>
    /// <value>100 with -TrainRealPath; with -Folds, the fitter's default (FingerprintFitOptions)</value>
    [Parameter(ParameterSetName = FitSet)]
    [Parameter(ParameterSetName = CrossValidationSet)]
    [ValidateRange(1, 100000)]
    public int Epochs { get; set; } = 100;

    /// <summary>Fewest optimisation steps of Dif's fit, whatever the number of images (with few images an epoch is one step).</summary>
    /// <value>400</value>
    [Parameter(ParameterSetName = FitSet)]
    [Parameter(ParameterSetName = CrossValidationSet)]
    [ValidateRange(0, 10000000)]
    public int MinSteps { get; set; } = FingerprintFitOptions.DefaultMinSteps;

    /// <summary>Residuals per step of Dif's fit. Few images make few steps per epoch; a smaller batch makes more.</summary>
    /// <value>the fitter's default (FingerprintFitOptions)</value>
    [Parameter(ParameterSetName = CrossValidationSet)]
    [ValidateRange(2, 100000)]
    public int BatchSize { get; set; }

    /// <summary>Crop size when fitting (with -Fingerprint, the fingerprint's own crop size is used).</summary>
    /// <value>256</value>
    [Parameter(ParameterSetName = FitSet)]
    [Parameter(ParameterSetName = CrossValidationSet)]
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
        if (ParameterSetName == CrossValidationSet)
        {
            CrossValidate(denoiser);
            return;
        }
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
                var fit = new FingerprintFitOptions { Epochs = Epochs, MinSteps = MinSteps, Device = Device, CalibrationFraction = 0 };
                detectors = [() => new DifFingerprintDetector(fit), () => new ResidualAveragingDetector()];
            }
            progress.Complete();
            int n = Math.Min(train.Real.Count, train.Fake.Count);
            WriteVerbose($"Measuring on {test.Real.Count} real and {test.Fake.Count} generated test images{(given ? "" : $", fitting on {n} per class")}.");
            var report = EvaluationHarness.Run("Measure-DifDetector", detectors, train, test, [n], Cancellation);
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

    /// <summary>-Folds: <see cref="CrossValidation.Run(Denoising.Denoiser, IEnumerable{string}, IEnumerable{string}, CrossValidationOptions?, IReadOnlyList{Func{IResidualDetector}}?, IProgress{CrossValidationProgress}?, Action{DifImageException}?, CancellationToken)"/>
    /// with a progress bar per fold (and one per epoch below it); only the fit settings the user gave are passed on.</summary>
    private void CrossValidate(Denoising.Denoiser denoiser)
    {
        var fit = new CrossValidationOptions().EffectiveFitOptions;
        fit.Device = Device;
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Epochs))) fit.Epochs = Epochs;
        if (MyInvocation.BoundParameters.ContainsKey(nameof(BatchSize))) fit.BatchSize = BatchSize;
        fit.MinSteps = MinSteps;
        var harmonise = Harmonise is null ? null : Harmonisation.Parse(Harmonise);
        var options = new CrossValidationOptions { Folds = Folds, Seed = Seed, ImageOptions = new ImageLoadOptions { CropSize = CropSize, Harmonise = harmonise }, FitOptions = fit };
        var real = ResolveInputFiles(RealPath, literal: false, recurseFolders: true).ToList();
        var fake = ResolveInputFiles(FakePath, literal: false, recurseFolders: true).ToList();
        const string activity = "Measure-DifDetector: cross-validation", epochActivity = "Dif fingerprint fit";
        bool epochShown = false;
        void EndEpochBar()
        {
            if (!epochShown) return;
            WriteProgress(new ProgressRecord(2, epochActivity, "done") { ParentActivityId = 1, RecordType = ProgressRecordType.Completed });
            epochShown = false;
        }
        var progress = new CallbackProgress<CrossValidationProgress>(p =>
        {
            EndEpochBar();
            var status = p.Stage == CrossValidationStage.Residuals ? $"residuals: {p.Done} of {p.Total} images" : $"fold {p.Fold} of {p.Folds}: {p.Detector}";
            WriteProgress(new ProgressRecord(1, activity, status) { PercentComplete = p.Total > 0 ? Math.Min(100, 100 * p.Done / p.Total) : -1 });
        });
        var epochs = new CallbackProgress<FingerprintFitProgress>(p =>
        {
            epochShown = true;
            WriteProgress(new ProgressRecord(2, epochActivity, $"epoch {p.Epoch} of {p.Epochs}")
                { ParentActivityId = 1, PercentComplete = Math.Min(100, 100 * p.Epoch / p.Epochs) });
        });
        try
        {
            WriteVerbose($"Cross-validating over {Folds} folds (seed {Seed}): {real.Count} real and {fake.Count} generated files; fingerprint fit at least {fit.Epochs} epochs and {fit.MinSteps} steps of batch {fit.BatchSize}.");
            var report = CrossValidation.Run(denoiser, real, fake, options, CrossValidation.Detectors(fit, epochs), progress,
                e => WriteError(DifErrors.FromDif(e, e.FilePath)), Cancellation);
            EndEpochBar();
            WriteProgress(new ProgressRecord(1, activity, "done") { RecordType = ProgressRecordType.Completed });
            foreach (var r in report.Results) WriteObject(new DifCrossValidation(r, report));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (DifTooFewImagesException e)
        {
            ThrowTerminatingError(DifErrors.Record(e, ErrorIds.NotEnoughImages, ErrorCategory.InvalidData, null));
        }
        catch (DifException e)
        {
            ThrowTerminatingError(DifErrors.FromDif(e, null));
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
