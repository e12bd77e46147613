namespace Dif.Fingerprinting;

/// <summary>A detector that learns from residuals of real and generated images and scores new
/// residuals: positive scores mean "generated". Dif's fingerprint and the baselines share it, so the
/// evaluation harness compares them on identical splits.</summary>
public interface IResidualDetector
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>Learns from residuals (3×S×S each) of real and generated images.</summary>
    void Fit(IReadOnlyList<float[]> realResiduals, IReadOnlyList<float[]> fakeResiduals, CancellationToken cancellationToken = default);

    /// <summary>The signed score of a residual: positive for "generated", 0 at the decision boundary.</summary>
    double Score(float[] residual);
}
