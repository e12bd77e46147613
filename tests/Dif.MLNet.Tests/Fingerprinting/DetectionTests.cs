using Dif.Fingerprinting;

namespace Dif.Tests.Fingerprinting;

public sealed class DetectionTests
{
    [Fact]
    public void The_probability_is_one_half_at_the_decision_boundary_and_rises_with_the_score()
    {
        var c = new ScoreCalibration(100, ScoreCalibration.HeldOut, 10);
        Assert.Equal(0.5, c.Probability(0), 12);
        Assert.True(c.Probability(0.01) > 0.5 && c.Probability(0.02) > c.Probability(0.01));
        Assert.Equal(0.9, c.Probability(c.ScoreAt(0.9)), 9);
    }

    [Fact]
    public void Calibration_on_overlapping_scores_is_less_confident_than_on_separated_ones()
    {
        bool[] labels = [false, false, false, false, true, true, true, true];
        var separated = ScoreCalibration.Fit([-0.02, -0.015, -0.01, -0.012, 0.01, 0.02, 0.015, 0.012], labels, ScoreCalibration.HeldOut);
        var overlapping = ScoreCalibration.Fit([-0.02, 0.015, -0.01, 0.012, 0.01, -0.02, 0.015, -0.012], labels, ScoreCalibration.HeldOut);
        Assert.True(separated.Slope > 10 * overlapping.Slope, $"{separated.Slope} vs {overlapping.Slope}");
        Assert.True(double.IsFinite(separated.Slope), "perfect separation must not give an infinite slope");
        Assert.InRange(separated.Probability(0.02), 0.8, 0.999);
    }

    [Theory]
    [InlineData(0.95, Verdict.Generated)]
    [InlineData(0.61, Verdict.Generated)]
    [InlineData(0.55, Verdict.Inconclusive)]
    [InlineData(0.45, Verdict.Inconclusive)]
    [InlineData(0.2, Verdict.Real)]
    public void Verdicts_near_one_half_are_inconclusive(double probability, Verdict expected)
        => Assert.Equal(expected, Fingerprint.VerdictOf(probability));

    [Fact]
    public void A_zero_band_always_decides()
        => Assert.Equal(Verdict.Generated, Fingerprint.VerdictOf(0.501, new DetectionOptions { InconclusiveBand = 0 }));

    [Fact]
    public void A_band_of_one_half_or_more_is_rejected()
        => Assert.Throws<ArgumentException>(() => Fingerprint.VerdictOf(0.9, new DetectionOptions { InconclusiveBand = 0.5 }));

    [Fact]
    public void The_score_is_positive_nearer_the_generated_centre_whichever_centre_is_higher()
    {
        var pattern = new float[3 * 16 * 16];
        var lowFake = new Fingerprint(pattern, 16, realCentre: 0.05, fakeCentre: 0.01, new ScoreCalibration(1, "training", 2));
        Assert.True(lowFake.ScoreOf(0.0) > 0);
        Assert.True(lowFake.ScoreOf(0.06) < 0);
    }
}
