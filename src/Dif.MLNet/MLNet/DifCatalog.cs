using Dif.Imaging;
using Microsoft.ML;

namespace Dif.MLNet;

/// <summary>ML.NET catalog extensions for Dif.</summary>
public static class DifCatalog
{
    /// <summary>Adds the DnCNN residual of the image in <paramref name="inputColumnName"/> as a 3×S×S float
    /// vector column <paramref name="outputColumnName"/>, using the default denoiser unless
    /// <paramref name="denoiserPath"/> names another.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">Name of the residual column.</param>
    /// <param name="inputColumnName">Image column: raw bytes, MLImage or file path.</param>
    /// <param name="cropSize">Crop size S (a multiple of 16).</param>
    /// <param name="denoiserPath">Denoiser weights file, or null for the default.</param>
    public static ResidualExtractingEstimator ExtractDifResidual(this TransformsCatalog catalog,
        string outputColumnName = ResidualExtractorOptions.DefaultOutputColumnName, string inputColumnName = "Image",
        int cropSize = ImageLoadOptions.DefaultCropSize, string? denoiserPath = null)
        => new(new ResidualExtractorOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            Image = new ImageLoadOptions { CropSize = cropSize },
            DenoiserPath = denoiserPath,
        });

    /// <summary>Adds the DnCNN residual with every option spelled out.</summary>
    public static ResidualExtractingEstimator ExtractDifResidual(this TransformsCatalog catalog, ResidualExtractorOptions options)
        => new(options);
}
