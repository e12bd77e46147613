using Dif.Evaluation;

namespace Dif.PowerShell;

/// <summary>What Measure-DifDetector -Folds emits: one detector's stratified K-fold cross-validation on the given
/// real and generated images (every image tested once, by the detector fitted on the other folds).</summary>
public sealed class DifCrossValidation
{
    internal DifCrossValidation(CrossValidationResult result, CrossValidationReport report)
    {
        Detector = result.Detector;
        Folds = report.Folds;
        Seed = report.Seed;
        Real = report.Real;
        Fake = report.Fake;
        Skipped = report.Skipped.Count;
        MeanBalancedAccuracy = result.MeanBalancedAccuracy;
        SdBalancedAccuracy = result.SdBalancedAccuracy;
        MeanAuc = result.MeanAuc;
        SdAuc = result.SdAuc;
        PooledBalancedAccuracy = result.PooledBalancedAccuracy;
        PooledAuc = result.PooledAuc;
        FoldBalancedAccuracy = [.. result.Folds.Select(f => f.BalancedAccuracy)];
        FoldAuc = [.. result.Folds.Select(f => f.Auc)];
        FoldTestReal = [.. result.Folds.Select(f => f.TestReal)];
        FoldTestFake = [.. result.Folds.Select(f => f.TestFake)];
    }

    /// <summary>The detector: "Dif fingerprint" or "residual averaging".</summary>
    public string Detector { get; }
    /// <summary>K, the number of folds.</summary>
    public int Folds { get; }
    /// <summary>Seed of the fold assignment.</summary>
    public int Seed { get; }
    /// <summary>Real images used.</summary>
    public int Real { get; }
    /// <summary>Generated images used.</summary>
    public int Fake { get; }
    /// <summary>Input files that could not be used (each was reported as a DifImageUnreadable error).</summary>
    public int Skipped { get; }
    /// <summary>Mean of the per-fold balanced accuracies.</summary>
    public double MeanBalancedAccuracy { get; }
    /// <summary>Sample standard deviation (n − 1) of the per-fold balanced accuracies.</summary>
    public double SdBalancedAccuracy { get; }
    /// <summary>Mean of the per-fold AUCs.</summary>
    public double MeanAuc { get; }
    /// <summary>Sample standard deviation (n − 1) of the per-fold AUCs.</summary>
    public double SdAuc { get; }
    /// <summary>Balanced accuracy of every out-of-fold decision together.</summary>
    public double PooledBalancedAccuracy { get; }
    /// <summary>AUC of every out-of-fold score together (scores of detectors fitted on different folds).</summary>
    public double PooledAuc { get; }
    /// <summary>Balanced accuracy on each fold, fold 1 first.</summary>
    public double[] FoldBalancedAccuracy { get; }
    /// <summary>AUC on each fold, fold 1 first.</summary>
    public double[] FoldAuc { get; }
    /// <summary>Real images tested in each fold.</summary>
    public int[] FoldTestReal { get; }
    /// <summary>Generated images tested in each fold.</summary>
    public int[] FoldTestFake { get; }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Detector}: {MeanBalancedAccuracy:P1} ± {SdBalancedAccuracy:P1} over {Folds} folds");
}
