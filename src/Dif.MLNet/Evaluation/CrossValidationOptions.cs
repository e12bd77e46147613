using Dif.Fingerprinting;
using Dif.Imaging;

namespace Dif.Evaluation;

/// <summary>How <see cref="CrossValidation"/> splits and fits: the number of folds, the seed of the split,
/// how images are prepared and how Dif's fingerprint is fitted.</summary>
public sealed class CrossValidationOptions
{
    /// <summary>The default number of folds.</summary>
    public const int DefaultFolds = 5;

    /// <summary>K: each class is split into K near-equal folds; every image is tested once, by detectors
    /// fitted on the other K−1 folds. At least 2, and at most the number of images of the smaller class.</summary>
    public int Folds { get; set; } = DefaultFolds;

    /// <summary>Seed of the shuffle that assigns images to folds (the same seed and files give the same folds).
    /// The fingerprint fit has its own seed, <see cref="FingerprintFitOptions.Seed"/>.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Crop size and decoding limits of the images.</summary>
    public ImageLoadOptions ImageOptions { get; set; } = new();

    /// <summary>How Dif's fingerprint is fitted on each fold's training images. Null: the fitter's defaults,
    /// except <see cref="FingerprintFitOptions.CalibrationFraction"/> 0, so that the fingerprint is fitted on
    /// exactly the images the baseline is (accuracy and AUC do not use the probability calibration).</summary>
    public FingerprintFitOptions? FitOptions { get; set; }

    /// <summary>A folder where each class's residuals are kept between runs (keyed by the denoiser, the crop
    /// options and every file's path, size and time), so another K or seed skips the DnCNN. Null: no cache.</summary>
    public string? CacheFolder { get; set; }

    /// <summary>The fit options in effect: <see cref="FitOptions"/>, or the fitter's defaults without a calibration hold-out.</summary>
    public FingerprintFitOptions EffectiveFitOptions => FitOptions ?? new FingerprintFitOptions { CalibrationFraction = 0 };

    /// <summary>Throws a <see cref="DifException"/> when there are fewer than 2 folds, and the options'
    /// own <see cref="ArgumentException"/>s for image or fit options out of range.</summary>
    public void Validate()
    {
        if (Folds < 2)
            throw new DifException($"Cross-validation needs at least 2 folds (got {Folds}): each image is tested by a detector fitted on the other folds.");
        ArgumentNullException.ThrowIfNull(ImageOptions);
        ImageOptions.Validate();
        FitOptions?.Validate();
    }
}
