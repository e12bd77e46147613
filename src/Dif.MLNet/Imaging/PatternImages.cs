namespace Dif.Imaging;

/// <summary>Pictures of signed patterns (fingerprints, residuals, mean residuals) for people: the pattern and
/// its Fourier magnitude spectrum as PNGs. One call per picture pair, for scripts and cmdlets.</summary>
public static class PatternImages
{
    /// <summary>How a signed pattern becomes pixel values.</summary>
    public enum Scaling
    {
        /// <summary>Minimum to black, maximum to white: the whole range scaled to [0,1].</summary>
        MinMax,
        /// <summary>Mean to mid-gray, ±3 standard deviations to black/white (clipped): faint structure shows better.</summary>
        Sigma3,
    }

    /// <summary>Writes a 3×S×S pattern as a PNG (<paramref name="patternPath"/>) and/or its log-magnitude spectrum,
    /// zero frequency centred (<paramref name="spectrumPath"/>); either path may be null. Atomic writes.</summary>
    public static void Write(float[] pattern, int size, string? patternPath, string? spectrumPath, Scaling scaling = Scaling.MinMax)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Length != 3 * size * size) throw new ArgumentException($"A {size}×{size} pattern holds {3 * size * size} values; got {pattern.Length}.");
        if (patternPath is not null)
        {
            if (scaling == Scaling.Sigma3) ImageWriter.SaveSigned(pattern, size, size, patternPath);
            else ImageWriter.SaveUnit(MinMax(pattern), size, size, patternPath);
        }
        if (spectrumPath is not null) ImageWriter.SaveUnit(Spectrum.LogMagnitude(pattern, size), size, size, spectrumPath);
    }

    /// <summary>A fingerprint's pattern F_E and/or its spectrum as PNGs (<see cref="Write(float[], int, string?, string?, Scaling)"/>).
    /// The one call behind a cmdlet such as <c>Export-DifFingerprintImage</c>.</summary>
    public static void Write(Dif.Fingerprinting.Fingerprint fingerprint, string? patternPath, string? spectrumPath, Scaling scaling = Scaling.MinMax)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        Write(fingerprint.Pattern, fingerprint.Size, patternPath, spectrumPath, scaling);
    }

    /// <summary>The mean of residuals (3×S×S each) written as <see cref="Write(float[], int, string?, string?, Scaling)"/> does: where a generator's
    /// traces show without any fitting (the residual-averaging fingerprint of Marra et al.).</summary>
    public static float[] WriteMeanResidual(IEnumerable<float[]> residuals, int size, string? patternPath, string? spectrumPath, Scaling scaling = Scaling.MinMax)
    {
        var mean = Spectrum.Mean(residuals);
        Write(mean, size, patternPath, spectrumPath, scaling);
        return mean;
    }

    /// <summary>Values mapped linearly so that the minimum is 0 and the maximum 1 (all 0.5 when flat).</summary>
    public static float[] MinMax(float[] values)
    {
        float lo = values.Min(), hi = values.Max();
        return hi > lo ? values.Select(v => (v - lo) / (hi - lo)).ToArray() : values.Select(_ => 0.5f).ToArray();
    }
}
