using System.Management.Automation;
using Dif.Interop;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Converts a PyTorch checkpoint (a published DIF fingerprint or a DnCNN state dict) to a Dif file, without running any of its code.</summary>
/// <remarks>
/// <para>Import-DifCheckpoint reads torch.save archives with Dif's own restricted unpickler: it accepts only
/// tensor rebuilds and plain containers, checks every length before allocating, and refuses anything else
/// (for example a pickle that would call os.system) with an error naming the file and the offending global.
/// Nothing in the file is executed.</para>
/// <para>A published fingerprint checkpoint (Fingerprint plus the Train Real / Train Fake logs) becomes a Dif
/// fingerprint file: the centres are the means of the last 20 logged values, as the published code computes
/// them, and since the checkpoint has no calibration one is derived from the centres (CalibrationSource
/// 'imported'). A DnCNN state dict becomes a Dif denoiser file; -BiasPattern adds the published bias pattern
/// (clean_real.npy). -Kind Auto tells the two apart. The output is written atomically; an existing file needs
/// -Force; -WhatIf and -Confirm apply.</para>
/// </remarks>
/// <example title="Import a published fingerprint">
/// <code>Import-DifCheckpoint -LiteralPath ./checks/sd14/chk_0.pt -OutFile ./sd14.dif.safetensors</code>
/// <para>Writes a Dif fingerprint file that Test-DifImage accepts; the name is taken from the folder (sd14).</para>
/// </example>
/// <example title="Import a DnCNN state dict with its bias pattern">
/// <code>Import-DifCheckpoint -LiteralPath ./dncnn.pt -BiasPattern ./clean_real.npy -OutFile ./dncnn.safetensors -Kind Denoiser</code>
/// <para>The denoiser file works with -Denoiser on every cmdlet.</para>
/// </example>
/// <returns>The FileInfo of the file written.</returns>
[Cmdlet(VerbsData.Import, "DifCheckpoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ImportDifCheckpointCommand : DifCmdlet
{
    /// <summary>The PyTorch checkpoint file (torch.save zip archive), taken as written.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>The Dif file to write (safetensors).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>What the checkpoint holds: Auto (decide from its content), Denoiser or Fingerprint.</summary>
    /// <value>Auto</value>
    // A string, not Dif.MLNet's enum: PowerShell reflects over parameter types while importing the module,
    // before the module's load context can resolve Dif.MLNet.
    [Parameter]
    [ValidateSet("Auto", "Denoiser", "Fingerprint")]
    public string Kind { get; set; } = "Auto";

    /// <summary>The published DnCNN bias pattern (.npy, e.g. clean_real.npy) to store with an imported denoiser.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BiasPattern { get; set; }

    /// <summary>A name for an imported fingerprint.</summary>
    /// <value>the checkpoint's folder name</value>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>Overwrites an existing -OutFile.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var input = ResolveOutputPath(LiteralPath);
        var output = ResolveOutputPath(OutFile);
        if (File.Exists(output) && !Force)
        {
            WriteError(DifErrors.Record(new IOException($"{output}: the file exists; use -Force to overwrite it."), ErrorIds.OutputExists, ErrorCategory.ResourceExists, output));
            return;
        }
        if (!ShouldProcess(output, $"Import {input}")) return;
        try
        {
            var result = CheckpointImport.Convert(input, output, new CheckpointImportOptions
            {
                Kind = Enum.Parse<CheckpointKind>(Kind, ignoreCase: true), BiasPatternPath = BiasPattern is null ? null : ResolveOutputPath(BiasPattern), Name = Name,
            });
            WriteVerbose(result.Description);
            WriteObject(new FileInfo(output));
        }
        catch (DifException e)
        {
            WriteError(DifErrors.Record(e, ErrorIds.CheckpointRefused, ErrorCategory.InvalidData, input));
        }
    }
}
