using System.Management.Automation;
using Dif.Fingerprinting;
using Dif.PowerShell.Infrastructure;

namespace Dif.PowerShell.Commands;

/// <summary>Writes a fingerprint and its Fourier spectrum as PNG pictures.</summary>
/// <remarks>
/// <para>The fingerprint picture maps the pattern's mean to mid-gray and ±3 standard deviations to black and
/// white. The spectrum picture is the log-magnitude of its 2-D Fourier transform (averaged over colour
/// channels, zero frequency in the centre, scaled to [0,1]): generator up-sampling shows as bright peaks at
/// fractions of the sampling frequency.</para>
/// <para>Files are written atomically; existing files need -Force; -WhatIf and -Confirm apply.</para>
/// </remarks>
/// <example title="Pictures of a saved fingerprint">
/// <code>Export-DifFingerprintImage -Fingerprint ./sd14.dif.safetensors -OutDirectory ./pictures</code>
/// <para>Writes sd14-fingerprint.png and sd14-spectrum.png into ./pictures.</para>
/// </example>
/// <example title="From a fitted object">
/// <code>New-DifFingerprint -RealPath ./real -FakePath ./fake -Name mine | Export-DifFingerprintImage -OutDirectory .</code>
/// <para>The fingerprint object binds from the pipeline.</para>
/// </example>
/// <returns>The FileInfo of each picture written.</returns>
[Cmdlet(VerbsData.Export, "DifFingerprintImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportDifFingerprintImageCommand : DifCmdlet
{
    /// <summary>The fingerprint: a DifFingerprint object or a fingerprint file.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [FingerprintTransformation]
    public DifFingerprint Fingerprint { get; set; } = null!;

    /// <summary>Folder the pictures are written to, as NAME-fingerprint.png and NAME-spectrum.png.</summary>
    /// <value>the current folder</value>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string OutDirectory { get; set; } = ".";

    /// <summary>Overwrites existing pictures.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var folder = ResolveOutputPath(OutDirectory);
        var name = Fingerprint.Name ?? (Fingerprint.Path is null ? "fingerprint" : Lineage.FingerprintLibrary.ModelName(Fingerprint.Path));
        foreach (var (suffix, write) in new (string, Action<Fingerprinting.Fingerprint, string>)[]
                 { ("fingerprint", FingerprintImages.WritePattern), ("spectrum", FingerprintImages.WriteSpectrum) })
        {
            var target = System.IO.Path.Combine(folder, $"{name}-{suffix}.png");
            if (File.Exists(target) && !Force)
            {
                WriteError(DifErrors.Record(new IOException($"{target}: the file exists; use -Force to overwrite it."), ErrorIds.OutputExists, ErrorCategory.ResourceExists, target));
                continue;
            }
            if (!ShouldProcess(target, $"Write the {suffix} picture of {name}")) continue;
            try
            {
                Directory.CreateDirectory(folder);
                write(Fingerprint.Fingerprint, target);
                WriteObject(new FileInfo(target));
            }
            catch (Exception e) when (e is DifException or IOException or UnauthorizedAccessException)
            {
                WriteError(DifErrors.Record(e, ErrorIds.OutputWriteFailed, ErrorCategory.WriteError, target));
            }
        }
    }
}
