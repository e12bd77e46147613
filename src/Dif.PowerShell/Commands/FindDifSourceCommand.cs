using System.Management.Automation;
using Dif.Denoising;
using Dif.Imaging;
using Dif.Lineage;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Names which known generative model most likely made each image, or none of them.</summary>
/// <remarks>
/// <para>Find-DifSource scores each image with every fingerprint of a library (a folder of fingerprint files,
/// or fingerprint objects). The source is the model whose fingerprint gives the highest calibrated probability
/// among those whose verdict is Generated; when no fingerprint claims the image, Source is empty ("none of
/// these"): a real image, or a model not in the library.</para>
/// <para>Images come from -Path, -LiteralPath or the pipeline. Unreadable files give DifImageUnreadable errors
/// and the rest go on.</para>
/// </remarks>
/// <example title="Attribute a folder of images">
/// <code>Get-ChildItem ./inbox -File | Find-DifSource -Library ./fingerprints | Group-Object Source</code>
/// <para>Counts images per attributed model; the group with an empty name is "none of these".</para>
/// </example>
/// <returns>One DifAttribution per image (Path, Name, Source, BestCandidate, Probability, Candidates).</returns>
[Cmdlet(VerbsCommon.Find, "DifSource", DefaultParameterSetName = PathSet)]
[OutputType(typeof(DifAttribution))]
public sealed class FindDifSourceCommand : DifCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private Attributor? attributor;
    private ProgressReporter? progress;
    private Denoiser? denoiser;
    private ImageLoadOptions? options;

    /// <summary>Image files or folders. Wildcards are expanded; a folder stands for the images directly in it.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Image files or folders, taken exactly as written. Get-ChildItem output binds here through PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>The known models: a folder of fingerprint files (*.safetensors), or fingerprint objects or files.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public object[] Library { get; set; } = [];

    /// <summary>Probabilities within this distance of 0.5 do not claim an image.</summary>
    /// <value>0.1</value>
    [Parameter]
    [ValidateRange(0.0, 0.49)]
    public double InconclusiveBand { get; set; } = Fingerprinting.DetectionOptions.DefaultInconclusiveBand;

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
    protected override void BeginProcessing()
    {
        var fingerprints = new List<Fingerprinting.Fingerprint>();
        try
        {
            foreach (var item in Library)
            {
                var value = item is PSObject ps ? ps.BaseObject : item;
                string? folder = value switch { string s => ResolveOutputPath(s), DirectoryInfo d => d.FullName, _ => null };
                if (folder is not null && Directory.Exists(folder))
                    fingerprints.AddRange(FingerprintLibrary.Load(folder, e => WriteWarning($"Skipped {e.Message}")));
                else
                {
                    var f = (DifFingerprint)FingerprintTransformationAttribute.Convert(value, ResolveOutputPath);
                    fingerprints.Add(f.Fingerprint.Name is null && f.Path is not null ? f.Fingerprint.WithName(FingerprintLibrary.ModelName(f.Path)) : f.Fingerprint);
                }
            }
            denoiser = LoadDenoiser(Denoiser, Device);
            foreach (var f in fingerprints) f.EnsureDenoiser(denoiser);
            attributor = new Attributor(fingerprints, new Fingerprinting.DetectionOptions { InconclusiveBand = InconclusiveBand });
            options = new ImageLoadOptions { CropSize = attributor.Size };
            WriteVerbose($"Library: {string.Join(", ", attributor.Models)} (crop {attributor.Size}).");
            progress = new ProgressReporter(this, 1, $"Find-DifSource: attributing images among {attributor.Models.Count} models");
        }
        catch (Exception e) when (e is DifException or ArgumentException or ArgumentTransformationMetadataException)
        {
            ThrowTerminatingError(e is DifException d ? DifErrors.FromDif(d, null) : DifErrors.Record(e, ErrorIds.ParameterConflict, ErrorCategory.InvalidArgument, null));
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var file in EachInputFile(literal ? LiteralPath : Path, literal, progress!))
        {
            try
            {
                var result = attributor!.Attribute(denoiser!.ExtractResidual(ImageLoader.Load(file, options)));
                WriteObject(new DifAttribution(file, result));
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
