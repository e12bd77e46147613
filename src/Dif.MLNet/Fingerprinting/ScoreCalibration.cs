namespace Dif.Fingerprinting;

/// <summary>Turns a signed score into a probability of "generated": p = 1 / (1 + exp(−Slope·score)).
/// One parameter only, so p = 0.5 exactly at the decision boundary (score 0) and the probability never
/// disagrees with the nearest-centre label. The slope is fitted by maximum likelihood with Platt's
/// smoothed targets, which keeps it finite when the calibration scores separate perfectly.</summary>
/// <param name="Slope">Logistic slope (per unit of score); positive.</param>
/// <param name="Source">What the slope was fitted on: <see cref="HeldOut"/> images not used to fit the
/// fingerprint, or the <see cref="Training"/> images themselves (optimistic: too confident).</param>
/// <param name="Images">How many scores it was fitted on.</param>
public sealed record ScoreCalibration(double Slope, string Source, int Images)
{
    /// <summary><see cref="Source"/> for a calibration fitted on held-out images.</summary>
    public const string HeldOut = "held-out";
    /// <summary><see cref="Source"/> for a calibration fitted on the fingerprint's own training images.</summary>
    public const string Training = "training";

    /// <summary>P(generated | score).</summary>
    public double Probability(double score) => 1 / (1 + Math.Exp(-Slope * score));

    /// <summary>The score at which the probability is <paramref name="probability"/> (in (0, 1)).</summary>
    public double ScoreAt(double probability) => Math.Log(probability / (1 - probability)) / Slope;

    /// <summary>Fits the slope to scores of real (label false) and generated (label true) images.</summary>
    public static ScoreCalibration Fit(IReadOnlyList<double> scores, IReadOnlyList<bool> generated, string source)
    {
        if (scores.Count != generated.Count) throw new ArgumentException("One label per score.");
        int positives = generated.Count(g => g), negatives = generated.Count - positives;
        if (positives == 0 || negatives == 0) throw new ArgumentException("Calibration needs scores of both classes.");
        // Platt (1999): targets (N+ + 1)/(N+ + 2) and 1/(N− + 2) instead of 1 and 0.
        double hi = (positives + 1.0) / (positives + 2.0), lo = 1.0 / (negatives + 2.0);
        // Minimise the smoothed log-loss over the slope a ≥ 0 by Newton's method on a 1-D convex function.
        double a = 1 / Math.Max(1e-12, scores.Select(Math.Abs).DefaultIfEmpty(1).Average());
        for (int iteration = 0; iteration < 100; iteration++)
        {
            double gradient = 0, curvature = 0;
            for (int i = 0; i < scores.Count; i++)
            {
                double p = 1 / (1 + Math.Exp(-a * scores[i]));
                double target = generated[i] ? hi : lo;
                gradient += (p - target) * scores[i];
                curvature += p * (1 - p) * scores[i] * scores[i];
            }
            if (curvature <= 1e-300) break;
            double next = Math.Max(a / 10, a - gradient / curvature);
            if (Math.Abs(next - a) <= 1e-10 * a) { a = next; break; }
            a = next;
        }
        // Scores on the wrong side on average would give a negative slope; a fingerprint that bad
        // should not be dressed up as confident, so floor it near zero (p ≈ 0.5 everywhere).
        return new ScoreCalibration(Math.Max(a, 1e-9), source, scores.Count);
    }
}
