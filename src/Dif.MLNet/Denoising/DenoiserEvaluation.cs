using Dif.Imaging;
using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Denoising;

/// <summary>PSNR figures of a denoiser on clean images with added Gaussian noise.</summary>
/// <param name="Sigma">Noise σ on the 0–255 scale.</param>
/// <param name="NoisyPsnr">PSNR of the noisy images against the clean ones, dB.</param>
/// <param name="DenoisedPsnr">PSNR after the denoiser (noisy − predicted noise), dB.</param>
/// <param name="BlurPsnr">PSNR after a 3×3 binomial (Gaussian) blur of the noisy images, dB.</param>
/// <param name="Images">Number of images measured.</param>
public sealed record DenoiserQuality(double Sigma, double NoisyPsnr, double DenoisedPsnr, double BlurPsnr, int Images)
{
    /// <summary>Gain of the denoiser over the noisy input, dB.</summary>
    public double DenoiserGain => DenoisedPsnr - NoisyPsnr;
    /// <summary>Gain of the 3×3 blur over the noisy input, dB.</summary>
    public double BlurGain => BlurPsnr - NoisyPsnr;
}

/// <summary>Measures denoising quality (the quality bar of docs/method.md §2.2).</summary>
public static class DenoiserEvaluation
{
    /// <summary>Adds N(0, σ²) noise (fixed <paramref name="seed"/>) to each image, denoises, and reports
    /// mean PSNRs. Pixel values are not clipped, as in DnCNN's training.</summary>
    public static DenoiserQuality Measure(Denoiser denoiser, IReadOnlyList<PreparedImage> clean, double sigma = 15, int seed = 12345)
    {
        if (clean.Count == 0) throw new ArgumentException("No images to measure.");
        double noisySum = 0, denoisedSum = 0, blurSum = 0;
        using var gen = new torch.Generator((ulong)seed);
        using var kernel = BlurKernel();
        foreach (var img in clean)
        {
            using var scope = NewDisposeScope();
            var x = torch.tensor(img.Pixels, [1, 3, img.Size, img.Size]);
            using var scale = Dif.Training.Scalars.Of(sigma / 255.0);
            var noisy = x.Plus(torch.randn(x.shape, generator: gen).mul_(scale));
            var denoised = noisy.Minus(denoiser.PredictNoise(noisy).cpu());
            var blurred = nn.functional.conv2d(nn.functional.pad(noisy, [1, 1, 1, 1], PaddingModes.Replicate), kernel, groups: 3);
            noisySum += Psnr(noisy, x);
            denoisedSum += Psnr(denoised, x);
            blurSum += Psnr(blurred, x);
        }
        int n = clean.Count;
        return new DenoiserQuality(sigma, noisySum / n, denoisedSum / n, blurSum / n, n);
    }

    /// <summary>PSNR in dB of <paramref name="a"/> against reference <paramref name="b"/>, peak 1.</summary>
    public static double Psnr(Tensor a, Tensor b)
    {
        using var diff = a.Minus(b);
        using var sq = diff.square();
        var mse = sq.mean().item<float>();
        return 10 * Math.Log10(1.0 / Math.Max(mse, 1e-12));
    }

    private static Tensor BlurKernel()
    {
        float[] k1 = [0.25f, 0.5f, 0.25f];
        var k = new float[9];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) k[i * 3 + j] = k1[i] * k1[j];
        var all = Enumerable.Range(0, 3).SelectMany(_ => k).ToArray();
        return torch.tensor(all, [3, 1, 3, 3]);
    }
}
