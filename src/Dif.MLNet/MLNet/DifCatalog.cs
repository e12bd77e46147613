using Dif.Fingerprinting;
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

    /// <summary>Fits a Deep Image Fingerprint: learns from a Boolean label column (true = generated) and a
    /// residual column, and scores with <c>Score</c>, <c>PredictedLabel</c>, <c>Probability</c>,
    /// <c>Correlation</c> and <c>Verdict</c> columns.</summary>
    /// <param name="catalog">The binary-classification trainers catalog.</param>
    /// <param name="labelColumnName">Boolean label column.</param>
    /// <param name="residualColumnName">Residual column (3×S×S floats).</param>
    /// <param name="epochs">Passes over the training residuals.</param>
    /// <param name="seed">Seed of the fit.</param>
    public static DifFingerprintEstimator DifFingerprint(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string residualColumnName = ResidualExtractorOptions.DefaultOutputColumnName,
        int epochs = 100, int seed = 1)
        => new(new DifFingerprintTrainerOptions
        {
            LabelColumnName = labelColumnName,
            ResidualColumnName = residualColumnName,
            Fit = new FingerprintFitOptions { Epochs = epochs, Seed = seed },
        });

    /// <summary>Fits a Deep Image Fingerprint with every option spelled out.</summary>
    public static DifFingerprintEstimator DifFingerprint(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        DifFingerprintTrainerOptions options)
        => new(options);

    /// <summary>Scores a residual column against an already fitted (e.g. loaded) fingerprint.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="fingerprint">The fingerprint, e.g. <c>Fingerprint.Load(path)</c>.</param>
    /// <param name="residualColumnName">Residual column (3×S×S floats).</param>
    /// <param name="detection">Verdict options.</param>
    public static DifFingerprintScoringEstimator ScoreDifFingerprint(this TransformsCatalog catalog, Fingerprint fingerprint,
        string residualColumnName = ResidualExtractorOptions.DefaultOutputColumnName, DetectionOptions? detection = null)
        => new(new DifFingerprintTransformer(fingerprint, residualColumnName, detection));
}
