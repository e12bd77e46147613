using Dif.Imaging;

namespace Dif.Evaluation;

/// <summary>Something that makes a "generated" version of a real crop for the evaluation sets: the
/// project's generator networks, or a synthetic trace of known form.</summary>
public interface IImageSynthesiser
{
    /// <summary>Folder name of its images (fake/NAME).</summary>
    string Name { get; }

    /// <summary>The generated version of <paramref name="image"/>: 3×S×S values in [0,1].</summary>
    float[] Generate(PreparedImage image);
}

/// <summary>A synthetic "model" whose fingerprint is known exactly: it adds a fixed, seeded ±amplitude
/// checkerboard (period 2, the pattern ×2 up-sampling leaves at the Nyquist frequency) to the real crop.
/// Not a generative model: a control with a strong, known trace, for quick end-to-end checks (the module's
/// Pester specs) where the real generators' subtler traces would need large crops and long fits.</summary>
/// <param name="Amplitude">Added value on the [0,1] pixel scale (e.g. 0.02 ≈ 5 of 255 levels).</param>
/// <param name="Seed">Seed of the per-channel sign of the checkerboard.</param>
public sealed record PeriodicTrace(double Amplitude = 0.02, int Seed = 1) : IImageSynthesiser
{
    /// <summary>The folder name used for its images.</summary>
    public const string TraceName = "periodic";

    /// <inheritdoc />
    public string Name => TraceName;

    /// <inheritdoc />
    public float[] Generate(PreparedImage image)
    {
        int s = image.Size, plane = s * s;
        var random = new Random(Seed);
        var signs = Enumerable.Range(0, 3).Select(_ => random.Next(2) == 0 ? -1.0 : 1.0).ToArray();
        var result = (float[])image.Pixels.Clone();
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                {
                    int k = c * plane + y * s + x;
                    result[k] = (float)Math.Clamp(result[k] + signs[c] * Amplitude * (((x + y) & 1) == 0 ? 1 : -1), 0, 1);
                }
        return result;
    }
}
