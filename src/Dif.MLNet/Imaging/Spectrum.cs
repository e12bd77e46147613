using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Imaging;

/// <summary>Fourier magnitude spectra of patterns (residuals, fingerprints): where periodic
/// up-sampling traces show as bright peaks.</summary>
public static class Spectrum
{
    /// <summary>log(1 + |FFT|) of a 3×S×S pattern, averaged over channels, zero frequency centred,
    /// scaled to [0,1]; returned as a gray 3×S×S picture for <see cref="ImageWriter.SaveUnit"/>.</summary>
    public static float[] LogMagnitude(float[] chw, int size)
    {
        using var scope = NewDisposeScope();
        var x = torch.tensor(chw, [3, size, size]);
        var centred = x.Minus(x.mean([1, 2], keepdim: true));
        var magnitude = torch.fft.fft2(centred).abs().mean([0]);
        var shifted = torch.fft.fftshift(magnitude);
        var logMag = shifted.log1p();
        var lo = logMag.min().item<float>();
        var hi = logMag.max().item<float>();
        var unit = logMag.data<float>().ToArray().Select(v => hi > lo ? (v - lo) / (hi - lo) : 0f).ToArray();
        var result = new float[3 * size * size];
        for (int c = 0; c < 3; c++) Array.Copy(unit, 0, result, c * size * size, size * size);
        return result;
    }

    /// <summary>The element-wise mean of equally sized patterns.</summary>
    public static float[] Mean(IEnumerable<float[]> patterns)
    {
        float[]? sum = null;
        int n = 0;
        foreach (var p in patterns)
        {
            sum ??= new float[p.Length];
            if (p.Length != sum.Length) throw new ArgumentException("Patterns differ in size.");
            for (int i = 0; i < p.Length; i++) sum[i] += p[i];
            n++;
        }
        if (sum is null) throw new ArgumentException("No patterns.");
        for (int i = 0; i < sum.Length; i++) sum[i] /= n;
        return sum;
    }
}
