namespace Dif.PowerShell;

/// <summary>What Get-DifResidual emits for each image: where it came from, its size, the crop that
/// was used, and the DnCNN residual R = f_D(X) − F_DnCNN (docs/method.md §2.2). Defined in the module
/// assembly (not Dif.MLNet) so PowerShell can always see the type.</summary>
public sealed class DifResidual
{
    /// <summary>Creates the result for one image.</summary>
    public DifResidual(string path, int width, int height, int cropSize, float[] residual, string denoiserIdentity, string? outFile)
    {
        Path = path;
        Width = width;
        Height = height;
        CropSize = cropSize;
        Residual = residual;
        DenoiserIdentity = denoiserIdentity;
        OutFile = outFile;
        double sum = 0;
        foreach (var v in residual) sum += (double)v * v;
        Rms = residual.Length == 0 ? 0 : Math.Sqrt(sum / residual.Length);
    }

    /// <summary>Full file-system path of the image.</summary>
    public string Path { get; }
    /// <summary>File name of the image.</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    /// <summary>Width of the decoded image (after EXIF orientation), before cropping.</summary>
    public int Width { get; }
    /// <summary>Height of the decoded image (after EXIF orientation), before cropping.</summary>
    public int Height { get; }
    /// <summary>Side S of the centre crop the residual was computed on.</summary>
    public int CropSize { get; }
    /// <summary>The residual: 3×S×S floats, channel-major (R plane, then G, then B), on the [0,1] pixel scale.</summary>
    public float[] Residual { get; }
    /// <summary>Root mean square of the residual, on the [0,1] pixel scale (×255 for 8-bit levels).</summary>
    public double Rms { get; }
    /// <summary>SHA-256 identity of the denoiser that computed the residual.</summary>
    public string DenoiserIdentity { get; }
    /// <summary>The residual picture written for this image, or null when none was written.</summary>
    public string? OutFile { get; }

    /// <inheritdoc />
    public override string ToString() => Path;
}
