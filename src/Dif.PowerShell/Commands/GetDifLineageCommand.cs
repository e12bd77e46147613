using System.Management.Automation;
using Dif.Denoising;
using Dif.Imaging;
using Dif.Lineage;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Tells which generative models share lineage, from their fingerprints and test images.</summary>
/// <remarks>
/// <para>Get-DifLineage scores the test images of every model with every fingerprint: the cross-detection
/// matrix A[i][j] is the balanced accuracy of fingerprint i on real images against model j's images (docs/method.md
/// §2.6). When A[i][j] and A[j][i] are both high, the models share lineage (one fine-tuned from the other);
/// one high and one low is a one-way relation; both near chance means unrelated. The thresholds are
/// -DetectsAt (default 0.8) and -MissesBelow (default 0.65). The correlation between the two fingerprints is
/// shown as well, as the secondary view the supplement discusses.</para>
/// <para>Test images: -RealPath holds real images; -FakeRoot holds one folder per model, named like the
/// model's fingerprint (its Name, or its file name without .dif.safetensors). With -OutDirectory the full
/// report is written too: lineage.md, lineage.json, lineage.csv and heatmap pictures of both matrices,
/// plus attribution accuracy among the models.</para>
/// </remarks>
/// <example title="Lineage of three fingerprinted models">
/// <code>Get-DifLineage -Fingerprint (Get-ChildItem ./fingerprints/*.safetensors) -RealPath ./test/real -FakeRoot ./test/fake -OutDirectory ./lineage |
///     Format-Table A, B, Relation, AOnB, BOnA</code>
/// <para>One row per pair of models; the report and heatmaps are in ./lineage.</para>
/// </example>
/// <returns>One DifLineagePair per pair of models.</returns>
[Cmdlet(VerbsCommon.Get, "DifLineage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(DifLineagePair))]
public sealed class GetDifLineageCommand : DifCmdlet
{
    /// <summary>Fingerprints of the models: DifFingerprint objects or fingerprint files (at least two, one crop size).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [FingerprintTransformation]
    public DifFingerprint[] Fingerprint { get; set; } = [];

    /// <summary>Real test images: files, folders or wildcard patterns.</summary>
    [Parameter(Mandatory = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] RealPath { get; set; } = [];

    /// <summary>A folder holding one folder of test images per model, named like the models' fingerprints.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string FakeRoot { get; set; } = "";

    /// <summary>At or above this balanced accuracy a fingerprint "detects" the other model.</summary>
    /// <value>0.8</value>
    [Parameter]
    [ValidateRange(0.5, 1.0)]
    public double DetectsAt { get; set; } = 0.8;

    /// <summary>Below this balanced accuracy it does not; between the two thresholds the verdict is Inconclusive.</summary>
    /// <value>0.65</value>
    [Parameter]
    [ValidateRange(0.5, 1.0)]
    public double MissesBelow { get; set; } = 0.65;

    /// <summary>Writes the full report (Markdown, JSON, CSV, heatmaps) into this folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutDirectory { get; set; }

    /// <summary>A denoiser file; it must be the one the fingerprints were fitted with.</summary>
    /// <value>the default denoiser bundled with Dif</value>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Denoiser { get; set; }

    /// <summary>Where the denoiser runs: auto, cpu, cuda or cuda:N.</summary>
    /// <value>auto</value>
    [Parameter]
    [ArgumentCompletions("auto", "cpu", "cuda", "cuda:0")]
    [ValidateDevice]
    public string Device { get; set; } = "auto";

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var thresholds = new LineageOptions { DetectsAt = DetectsAt, MissesBelow = MissesBelow };
        try { thresholds.Validate(); }
        catch (ArgumentException e) { ThrowTerminatingError(DifErrors.Record(e, ErrorIds.ParameterConflict, ErrorCategory.InvalidArgument, null)); }
        if (Fingerprint.Length < 2 || Fingerprint.Select(f => f.CropSize).Distinct().Count() > 1)
            ThrowTerminatingError(DifErrors.Terminating("Lineage needs at least two fingerprints of one crop size.", ErrorIds.ParameterConflict, ErrorCategory.InvalidArgument, null));
        var denoiser = LoadDenoiser(Denoiser, Device);
        var options = new ImageLoadOptions { CropSize = Fingerprint[0].CropSize };
        var fakeRoot = ResolveOutputPath(FakeRoot);
        try
        {
            foreach (var f in Fingerprint) f.Fingerprint.EnsureDenoiser(denoiser, fingerprintSource: f.Path);
            var progress = new ProgressReporter(this, 1, "Get-DifLineage: residuals");
            var real = ExtractResiduals(RealPath, denoiser, options, progress);
            var fingerprints = Fingerprint.Select((f, i) => f.Fingerprint.Name is null
                ? f.Fingerprint.WithName(f.Path is null ? $"#{i + 1}" : FingerprintLibrary.ModelName(f.Path)) : f.Fingerprint).ToList();
            var sets = new List<ModelTestSet>();
            foreach (var f in fingerprints)
            {
                var folder = System.IO.Path.Combine(fakeRoot, f.Name!);
                if (!Directory.Exists(folder))
                    ThrowTerminatingError(DifErrors.Record(new ItemNotFoundException($"{folder}: no test images for model '{f.Name}' (FakeRoot needs one folder per model, named like its fingerprint)."),
                        ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, folder));
                WriteVerbose($"Test images of {f.Name}: {folder}.");
                sets.Add(new ModelTestSet(f.Name!, real, ExtractResiduals([folder], denoiser, options, progress)));
            }
            progress.Complete();
            var report = LineageReport.Analyse(fingerprints, sets, thresholds, attribution: OutDirectory is not null, cancellationToken: Cancellation);
            if (OutDirectory is not null)
            {
                var folder = ResolveOutputPath(OutDirectory);
                if (ShouldProcess(folder, "Write the lineage report and heatmaps"))
                    foreach (var written in report.Write(folder)) WriteVerbose($"Wrote {System.IO.Path.Combine(folder, written)}.");
            }
            foreach (var pair in report.Pairs) WriteObject(new DifLineagePair(pair));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (DifException e)
        {
            ThrowTerminatingError(DifErrors.FromDif(e, null));
        }
    }

}
