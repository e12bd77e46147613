using Dif.Fingerprinting;

namespace Dif.PowerShell;

/// <summary>What Test-DifImage emits for each image: the verdict of one fingerprint on it, with the numbers behind it.</summary>
public sealed class DifDetection
{
    /// <summary>Creates the result for one image.</summary>
    public DifDetection(string path, string? fingerprint, Detection detection)
    {
        Path = path;
        Fingerprint = fingerprint;
        Verdict = detection.Verdict.ToString();
        Probability = detection.Probability;
        Score = detection.Score;
        Correlation = detection.Correlation;
    }

    /// <summary>Full path of the image.</summary>
    public string Path { get; }
    /// <summary>File name of the image.</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    /// <summary>Name of the fingerprint (model) it was tested against.</summary>
    public string? Fingerprint { get; }
    /// <summary>Real, Generated or Inconclusive (probability within the inconclusive band around 0.5).</summary>
    public string Verdict { get; }
    /// <summary>True when the verdict is Generated.</summary>
    public bool IsGenerated => Verdict == nameof(Fingerprinting.Verdict.Generated);
    /// <summary>Calibrated probability that the image was made by the fingerprinted model.</summary>
    public double Probability { get; }
    /// <summary>Signed score: positive means nearer the generated centre than the real one.</summary>
    public double Score { get; }
    /// <summary>Pearson correlation of the fingerprint and the image's residual.</summary>
    public double Correlation { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Verdict}";
}
