using System.Management.Automation;
using Dif.Denoising;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Trains a DnCNN denoiser on real photos and writes it as a safetensors file.</summary>
/// <remarks>
/// <para>New-DifDenoiser trains the residual extractor f_D of docs/method.md §2.2 on random patches of the given photos,
/// with added Gaussian noise as the target (noise levels anneal from heavy to light), then computes the
/// denoiser's bias pattern F_DnCNN from crops of the same photos. The bundled default denoiser was made this
/// way; train your own when your images differ a lot from ordinary photos.</para>
/// <para>Progress is shown per step. A checkpoint is kept next to -OutFile (OUTFILE.checkpoint.safetensors)
/// every 250 steps; after Ctrl+C or a crash the same command continues from it (delete it to start afresh).
/// The denoiser file is written atomically; an existing file needs -Force; -WhatIf and -Confirm apply.
/// Fingerprints remember their denoiser: fit and test with the same one.</para>
/// </remarks>
/// <example title="Train on a folder of photos">
/// <code>New-DifDenoiser -Path ./my-photos -OutFile ./my-dncnn.safetensors -Steps 3000</code>
/// <para>About an hour on two CPU cores; then use it with -Denoiser ./my-dncnn.safetensors.</para>
/// </example>
/// <returns>The FileInfo of the denoiser written.</returns>
[Cmdlet(VerbsCommon.New, "DifDenoiser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class NewDifDenoiserCommand : DifCmdlet
{
    /// <summary>Photos (files, folders or wildcard patterns) to train on: real, clean images.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>The denoiser file to write (safetensors).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>Optimisation steps.</summary>
    /// <value>3000</value>
    [Parameter]
    [ValidateRange(1, 10_000_000)]
    public int Steps { get; set; } = 3000;

    /// <summary>Patches per step.</summary>
    /// <value>16</value>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int BatchSize { get; set; } = 16;

    /// <summary>Seed of the initial weights and the patch sampling.</summary>
    /// <value>1</value>
    [Parameter]
    public int Seed { get; set; } = 1;

    /// <summary>Where training runs: auto, cpu, cuda or cuda:N.</summary>
    /// <value>auto</value>
    [Parameter]
    [ArgumentCompletions("auto", "cpu", "cuda", "cuda:0")]
    [ValidateDevice]
    public string Device { get; set; } = "auto";

    /// <summary>Overwrites an existing -OutFile.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var outFile = ResolveOutputPath(OutFile);
        if (File.Exists(outFile) && !Force)
            ThrowTerminatingError(DifErrors.Record(new IOException($"{outFile}: the file exists; use -Force to overwrite it."), ErrorIds.OutputExists, ErrorCategory.ResourceExists, outFile));
        if (!ShouldProcess(outFile, "Train a denoiser and write it")) return;
        var files = ResolveInputFiles(Path, literal: false).ToList();
        var checkpoint = outFile + ".checkpoint.safetensors";
        var options = new DenoiserTrainingOptions { Steps = Steps, BatchSize = BatchSize, Seed = Seed, Device = Device, CheckpointPath = checkpoint };
        try
        {
            var photos = TrainingPhotos.Load(files);
            WriteVerbose($"Training DnCNN on {photos.Count} photos for {Steps} steps{(File.Exists(checkpoint) ? $", resuming from {checkpoint}" : "")}.");
            var progress = new ProgressReporter(this, 1, "New-DifDenoiser: training");
            progress.Total = Steps;
            using var denoiser = new DenoiserTrainer(options).Train(photos, null, new CallbackProgress<DenoiserTrainingProgress>(p =>
            {
                progress.Finished();
                progress.Starting(FormattableString.Invariant($"step {p.Step}/{p.TotalSteps}, loss {p.Loss:G4}"));
            }), Cancellation);
            progress.Complete();
            denoiser.Save(outFile);
            File.Delete(checkpoint);
            WriteVerbose($"Denoiser {denoiser.Identity[..16]}… written to {outFile}.");
            WriteObject(new FileInfo(outFile));
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
