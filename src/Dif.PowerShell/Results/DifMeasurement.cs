using Dif.Evaluation;

namespace Dif.PowerShell;

/// <summary>What Measure-DifDetector emits: one detector's accuracy on a labelled test set.</summary>
public sealed class DifMeasurement
{
    /// <summary>Creates the result from a harness row.</summary>
    public DifMeasurement(DetectorResult result, int testReal, int testFake)
    {
        Detector = result.Detector;
        TrainPerClass = result.TrainPerClass;
        BalancedAccuracy = result.BalancedAccuracy;
        Auc = result.Auc;
        RealAccuracy = result.Confusion.RealAccuracy;
        FakeAccuracy = result.Confusion.FakeAccuracy;
        TruePositives = result.Confusion.TruePositives;
        FalseNegatives = result.Confusion.FalseNegatives;
        TrueNegatives = result.Confusion.TrueNegatives;
        FalsePositives = result.Confusion.FalsePositives;
        TestReal = testReal;
        TestFake = testFake;
    }

    /// <summary>The detector: a fingerprint's name, "Dif fingerprint" or "residual averaging".</summary>
    public string Detector { get; }
    /// <summary>Training images per class it was fitted on (0 for a given fingerprint).</summary>
    public int TrainPerClass { get; }
    /// <summary>Mean of real and generated accuracy at the decision boundary.</summary>
    public double BalancedAccuracy { get; }
    /// <summary>Area under the ROC curve (threshold-free).</summary>
    public double Auc { get; }
    /// <summary>Share of real test images called real.</summary>
    public double RealAccuracy { get; }
    /// <summary>Share of generated test images called generated.</summary>
    public double FakeAccuracy { get; }
    /// <summary>Generated images called generated.</summary>
    public int TruePositives { get; }
    /// <summary>Generated images called real.</summary>
    public int FalseNegatives { get; }
    /// <summary>Real images called real.</summary>
    public int TrueNegatives { get; }
    /// <summary>Real images called generated.</summary>
    public int FalsePositives { get; }
    /// <summary>Real test images used.</summary>
    public int TestReal { get; }
    /// <summary>Generated test images used.</summary>
    public int TestFake { get; }
}
