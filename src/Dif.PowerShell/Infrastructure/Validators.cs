using System.Management.Automation;

namespace Dif.PowerShell.Infrastructure;

/// <summary>Checks a -CropSize argument: a positive multiple of 16 (the fingerprint U-Net halves it
/// four times), at most 4096.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateCropSizeAttribute : ValidateArgumentsAttribute
{
    /// <inheritdoc />
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        if (arguments is not int size || size < 16 || size > 4096 || size % 16 != 0)
            throw new ValidationMetadataException($"The crop size must be a multiple of 16 between 16 and 4096 (got {arguments}).");
    }
}

/// <summary>Checks a -Harmonise argument: jpeg:Q with Q a JPEG quality from 1 to 100.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateHarmoniseAttribute : ValidateArgumentsAttribute
{
    /// <inheritdoc />
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        if (!Imaging.Harmonisation.TryParse(arguments as string, out _))
            throw new ValidationMetadataException($"'{arguments}' is not a harmonisation: use jpeg:Q with Q a JPEG quality from 1 to 100 (e.g. jpeg:90).");
    }
}

/// <summary>Checks a -Device argument's form: auto, cpu, cuda or cuda:N (whether the device exists is
/// checked when the model loads).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateDeviceAttribute : ValidateArgumentsAttribute
{
    /// <inheritdoc />
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var s = (arguments as string)?.Trim().ToLowerInvariant();
        bool ok = s is "auto" or "cpu" or "cuda" || (s is not null && s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out var n) && n >= 0);
        if (!ok) throw new ValidationMetadataException($"'{arguments}' is not a device: use auto, cpu, cuda or cuda:N.");
    }
}
