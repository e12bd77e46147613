using Dif.Lineage;

namespace Dif.PowerShell;

/// <summary>What Get-DifLineage emits for each pair of models: both cross-detection numbers, the fingerprint
/// correlation, and the verdict with its reasoning.</summary>
public sealed class DifLineagePair(PairLineage pair)
{
    /// <summary>First model.</summary>
    public string A { get; } = pair.A;
    /// <summary>Second model.</summary>
    public string B { get; } = pair.B;
    /// <summary>Balanced accuracy of A's fingerprint on B's test images.</summary>
    public double AOnB { get; } = pair.AOnB;
    /// <summary>Balanced accuracy of B's fingerprint on A's test images.</summary>
    public double BOnA { get; } = pair.BOnA;
    /// <summary>ρ between the two fingerprints (the secondary view).</summary>
    public double FingerprintCorrelation { get; } = pair.FingerprintCorrelation;
    /// <summary>Related, OneWay, Unrelated or Inconclusive.</summary>
    public string Relation { get; } = pair.Relation.ToString();
    /// <summary>The verdict in words, with both numbers and the thresholds.</summary>
    public string Reason { get; } = pair.Reason;
}

/// <summary>What Find-DifSource emits for each image: the known model it is attributed to (or none).</summary>
public sealed class DifAttribution(string path, AttributionResult result)
{
    /// <summary>Full path of the image.</summary>
    public string Path { get; } = path;
    /// <summary>File name of the image.</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    /// <summary>The attributed model, or null when no fingerprint calls the image generated ("none of these").</summary>
    public string? Source { get; } = result.Source;
    /// <summary>The most probable model, whether or not it claims the image.</summary>
    public string BestCandidate { get; } = result.Candidates[0].Model;
    /// <summary>The best candidate's calibrated probability.</summary>
    public double Probability { get; } = result.Candidates[0].Detection.Probability;
    /// <summary>Every model with its probability, most probable first (e.g. "sd14 0.97; sd21 0.40").</summary>
    public string Candidates { get; } = string.Join("; ", result.Candidates.Select(c => FormattableString.Invariant($"{c.Model} {c.Detection.Probability:F2}")));
}
