using Dif.Denoising;

namespace Dif.Tests.Denoising;

/// <summary>The denoiser shipped inside Dif.MLNet: it loads, and it denoises photos it was not
/// trained on better than a 3×3 Gaussian blur (docs/method.md §2.2's quality bar; measurements in docs/reference.md).</summary>
public sealed class DefaultDenoiserTests
{
    [Fact]
    public void Default_denoiser_loads_with_its_bias_pattern_and_training_summary()
    {
        using var d = Denoiser.LoadDefault("cpu");
        Assert.Equal(256, d.BiasSize);
        Assert.Contains("\"steps\"", d.Metadata["training"]);
        Assert.Equal(64, d.Identity.Length);
    }

    [Fact]
    public void Default_denoiser_beats_a_3x3_blur_on_held_out_photos()
    {
        using var d = Denoiser.LoadDefault("cpu");
        var crops = TrainingPhotos.Load([RepoPaths.EvaluationPhotos]).Crops(128, 5, seed: 4242).ToList();
        var q = DenoiserEvaluation.Measure(d, crops, sigma: 15);
        Assert.True(q.DenoiserGain > q.BlurGain + 1,
            $"DnCNN gain {q.DenoiserGain:F2} dB should clearly beat the blur's {q.BlurGain:F2} dB");
    }
}
