using System.Management.Automation;
using Dif.Fingerprinting;

namespace Dif.PowerShell.Infrastructure;

/// <summary>Lets a -Fingerprint parameter take a fingerprint object or a file: a string, FileInfo or
/// Get-ChildItem item is loaded with Fingerprint.Load; a damaged or foreign file fails the binding with
/// the library's message (which names the file).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class FingerprintTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        => Convert(inputData, path => engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));

    /// <summary>A DifFingerprint (or an array of them) from an object or a file name; <paramref name="resolve"/>
    /// turns a PowerShell path into a file-system path.</summary>
    internal static object Convert(object? inputData, Func<string, string> resolve)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (value is DifFingerprint or DifFingerprint[] or null) return value!;
        if (value is object[] many) return many.Select(x => (DifFingerprint)Convert(x, resolve)).ToArray();
        string? path = value switch
        {
            string s => s,
            FileInfo f => f.FullName,
            _ => null,
        };
        if (path is null) throw new ArgumentTransformationMetadataException($"Cannot use a {value.GetType().Name} as a fingerprint: pass a DifFingerprint or a fingerprint file.");
        var full = resolve(path);
        try
        {
            return new DifFingerprint(Fingerprint.Load(full), full);
        }
        catch (DifException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}
