using System.Management.Automation;
using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Fits the Deep Image Fingerprint of a generative model from its images and real ones.</summary>
/// <remarks>
/// <para>New-DifFingerprint computes the DnCNN residual of every image once (the centre CropSize×CropSize
/// crop), then fits the fingerprint U-Net with the method's contrastive loss for -Epochs passes over them (at least -MinSteps optimisation steps)
/// (docs/method.md §2.4): the fingerprint is the pattern the model's images correlate with and real images do not.
/// A share of each class (20%) is held out from fitting to calibrate the probabilities Test-DifImage reports;
/// with fewer than ten images per class the calibration uses the training images and says so.</para>
/// <para>Progress is shown per image while residuals are computed and per epoch while fitting (loss, mean
/// correlation of real and of generated images). Ctrl+C stops between steps; with -OutFile, a checkpoint
/// is kept every 10 epochs next to it (OUTFILE.checkpoint.safetensors) and -Resume continues from it, ending
/// with exactly the fingerprint an uninterrupted fit would have given. The checkpoint is deleted once the
/// fingerprint is written.</para>
/// <para>Before any residual is computed, the headers of both classes' files are compared: container (PNG,
/// JPEG, WebP...), estimated JPEG quality and chroma subsampling, bit depth and colour, EXIF, and image size.
/// Each difference is written as a warning naming both classes and the numbers (for example "container: real:
/// 100% JPEG (quality ≈ 92); generated: 100% PNG"), because a fingerprint fitted on such files can learn the
/// storage instead of the model; the fingerprint records them (FormatWarnings). -Harmonise 'jpeg:Q' re-encodes
/// every image of both classes identically in memory as JPEG at quality Q after the crop; the fingerprint
/// records it and Test-DifImage applies it again.</para>
/// <para>Images that cannot be used are reported as non-terminating errors (DifImageUnreadable) and left out.
/// The fingerprint is returned as a DifFingerprint object, which Test-DifImage accepts directly; -OutFile also
/// writes it (safetensors, atomically; -WhatIf and -Confirm apply; an existing file needs -Force).</para>
/// </remarks>
/// <example title="Fit a fingerprint and save it">
/// <code>New-DifFingerprint -RealPath ./real -FakePath ./sd14 -OutFile ./sd14.dif.safetensors</code>
/// <para>Fits on every image in ./real and ./sd14 (crop 256, 100 epochs) and writes the fingerprint file.</para>
/// </example>
/// <example title="A quick fit kept in a variable">
/// <code>$fp = New-DifFingerprint -RealPath ./real/*.png -FakePath ./fake/*.png -Epochs 20 -CropSize 128 -Name quick
/// Get-ChildItem ./inbox -File | Test-DifImage -Fingerprint $fp</code>
/// <para>No file is written; the object is used straight away.</para>
/// </example>
/// <example title="JPEG photos against PNG fakes, harmonised">
/// <code>$fp = New-DifFingerprint -RealPath ./photos -FakePath ./sd14 -Harmonise 'jpeg:90' -WarningVariable formats
/// $formats; $fp.Harmonise</code>
/// <para>The warnings name the differences of format; every image is re-encoded as JPEG at quality 90 before its
/// residual, and the fingerprint records jpeg:90.</para>
/// </example>
/// <example title="Resume an interrupted fit">
/// <code>New-DifFingerprint -RealPath ./real -FakePath ./sd14 -OutFile ./sd14.dif.safetensors -Resume</code>
/// <para>After Ctrl+C (or a crash), the same command with -Resume continues from the last checkpoint.</para>
/// </example>
/// <returns>A DifFingerprint: name, crop size, class centres, calibration, denoiser identity, training summary and Path.</returns>
[Cmdlet(VerbsCommon.New, "DifFingerprint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(DifFingerprint))]
public sealed class NewDifFingerprintCommand : DifCmdlet
{
    /// <summary>Real images: files, folders (the images directly in them) or wildcard patterns.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] RealPath { get; set; } = [];

    /// <summary>Images of the generative model to fingerprint: files, folders or wildcard patterns.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] FakePath { get; set; } = [];

    /// <summary>Passes over the training residuals.</summary>
    /// <value>100</value>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int Epochs { get; set; } = FingerprintFitOptions.DefaultEpochs;

    /// <summary>Fewest optimisation steps the fit runs whatever the number of images: with few images an epoch is one
    /// step, so the fit then runs more epochs than -Epochs. 0 turns the budget off.</summary>
    /// <value>400</value>
    [Parameter]
    [ValidateRange(0, 10000000)]
    public int MinSteps { get; set; } = FingerprintFitOptions.DefaultMinSteps;

    /// <summary>Side of the centre crop residuals are computed on: a multiple of 16. Images smaller than it are skipped with an error.</summary>
    /// <value>256</value>
    [Parameter]
    [ValidateCropSize]
    public int CropSize { get; set; } = ImageLoadOptions.DefaultCropSize;

    /// <summary>Seed of the fit (noise input, initial weights, shuffling): the same seed and images give the same fingerprint.</summary>
    /// <value>1</value>
    [Parameter]
    public int Seed { get; set; } = 1;

    /// <summary>Residuals per optimisation step (paired first half with second half).</summary>
    /// <value>64</value>
    [Parameter]
    [ValidateRange(2, 4096)]
    public int BatchSize { get; set; } = 64;

    /// <summary>A name for the fingerprinted model, stored in the fingerprint and shown by Test-DifImage.</summary>
    /// <value>the -OutFile name without extensions, or none</value>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>A denoiser file to compute residuals with instead of the bundled default. Images scored later must use the same denoiser.</summary>
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

    /// <summary>Writes the fingerprint to this safetensors file (atomically).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    /// <summary>Continues an interrupted fit from OUTFILE.checkpoint.safetensors (needs -OutFile and the same images and options).</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Overwrites an existing -OutFile.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Adds the method's optional boost term to the loss.</summary>
    [Parameter]
    public SwitchParameter Boost { get; set; }

    /// <summary>Re-encodes every image of both classes identically in memory before its residual: 'jpeg:Q' is JPEG at
    /// quality Q (1–100, 4:2:0 chroma), applied to the centre crop, so that the classes' file formats cannot be told
    /// apart. The fingerprint records it; Test-DifImage and Measure-DifDetector apply it again.</summary>
    /// <value>none: images are used as decoded</value>
    [Parameter]
    [ArgumentCompletions("jpeg:90", "jpeg:95", "jpeg:75")]
    [ValidateHarmonise]
    public string? Harmonise { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        string? outFile = OutFile is null ? null : ResolveOutputPath(OutFile);
        if (Resume && outFile is null)
            ThrowTerminatingError(DifErrors.Terminating("-Resume needs -OutFile (the checkpoint lives next to it).", ErrorIds.ParameterConflict, ErrorCategory.InvalidArgument, null));
        if (outFile is not null)
        {
            if (File.Exists(outFile) && !Force)
                ThrowTerminatingError(DifErrors.Record(new IOException($"{outFile}: the file exists; use -Force to overwrite it."), ErrorIds.OutputExists, ErrorCategory.ResourceExists, outFile));
            // Asked before the long work, so -WhatIf costs nothing and -Confirm does not interrupt a fit at the end.
            if (!ShouldProcess(outFile, "Fit a fingerprint and write it")) return;
        }
        var denoiser = LoadDenoiser(Denoiser, Device);
        var options = new ImageLoadOptions { CropSize = CropSize, Harmonise = Harmonise is null ? null : Harmonisation.Parse(Harmonise) };
        var progress = new ProgressReporter(this, 1, "New-DifFingerprint: residuals");

        List<float[]> real, fake;
        try
        {
            var realFiles = ResolveInputFiles(RealPath, literal: false).ToList();
            var fakeFiles = ResolveInputFiles(FakePath, literal: false).ToList();
            // Headers only, before the long work: a class stored unlike the other may be what the fingerprint learns.
            var format = TrainingSetFormat.Compare(realFiles, fakeFiles, Cancellation);
            foreach (var warning in format.Warnings) WriteWarning(warning);
            if (format.Advice(options.Harmonise) is { } advice) WriteWarning(advice);
            WriteVerbose($"Residuals at {CropSize}×{CropSize}{(options.Harmonise is { } h ? $", every image harmonised as {h}" : "")}.");
            real = ExtractResidualsOf(realFiles, denoiser, options, progress);
            fake = ExtractResidualsOf(fakeFiles, denoiser, options, progress);
            progress.Complete();
            if (real.Count == 0 || fake.Count == 0)
                ThrowTerminatingError(DifErrors.Terminating($"Fitting needs real and generated images; usable: {real.Count} real, {fake.Count} generated.",
                    ErrorIds.NotEnoughImages, ErrorCategory.InvalidData, null));

            var fit = new FingerprintFitOptions
            {
                Epochs = Epochs, MinSteps = MinSteps, BatchSize = BatchSize, Seed = Seed, Boost = Boost, Device = Device,
                CheckpointPath = outFile is null ? null : outFile + ".checkpoint.safetensors",
                Resume = Resume,
            };
            var epochs = new ProgressReporter(this, 2, "New-DifFingerprint: fitting");
            epochs.Total = Epochs;
            var fingerprint = new FingerprintFitter(fit).Fit(real, fake, CropSize, denoiser.Identity, new CallbackProgress<FingerprintFitProgress>(p =>
            {
                epochs.Total = p.Epochs;   // more than -Epochs when the step budget needs them
                epochs.Finished();
                var line = FormattableString.Invariant($"epoch {p.Epoch}/{p.Epochs}: loss {p.Loss:F3}, ρ real {p.RealCorrelation:F4}, ρ generated {p.FakeCorrelation:F4}");
                epochs.Starting(line);
                WriteVerbose(line);
            }), Cancellation);
            epochs.Complete();
            var name = Name ?? (outFile is null ? null : Lineage.FingerprintLibrary.ModelName(outFile));
            var result = new DifFingerprint(fingerprint.WithName(name).WithHarmonisation(options.Harmonise).WithFormatWarnings(format.Warnings), null);
            if (outFile is not null)
            {
                result.Save(outFile);
                File.Delete(fit.CheckpointPath!);
                WriteVerbose($"Fingerprint written to {outFile}.");
            }
            WriteObject(result);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (DifException e)
        {
            ThrowTerminatingError(DifErrors.FromDif(e, outFile));
        }
    }
}
