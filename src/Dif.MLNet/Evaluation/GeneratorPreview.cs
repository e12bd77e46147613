using Dif.Denoising;
using Dif.Imaging;
using Dif.Persistence;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dif.Evaluation;

/// <summary>Pictures that show what the evaluation generators do: the same crop real and re-synthesised
/// (with the amplified difference), and the spectrum of the mean residual of their outputs, where the
/// decoders' up-sampling leaves peaks.</summary>
public static class GeneratorPreview
{
    /// <summary>Writes <c>generators-side-by-side.png</c> (a row per generator: real | generated | 8×|difference|)
    /// and <c>generators-spectra.png</c> (mean-residual spectra: real, then each generator) into
    /// <paramref name="outputFolder"/>.</summary>
    public static void Write(string photoFolder, IReadOnlyList<Generator> generators, Denoiser denoiser, string outputFolder,
                             int size = 256, int spectrumImages = 16, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(outputFolder);
        using var crops = RealCrops.Load(photoFolder);
        var options = new DatasetOptions { Size = size };

        using (var sheet = new Image<Rgb24>(3 * size, generators.Count * size))
        {
            for (int row = 0; row < generators.Count; row++)
            {
                var (_, real) = EvaluationDataset.MakeImage(crops, Condition.Png, options, seed: 11, index: 3, generator: null);
                var (_, fake) = EvaluationDataset.MakeImage(crops, Condition.Png, options, seed: 11, index: 3, generator: generators[row]);
                var a = ImageLoader.ToChw(real, 0, 0, size);
                var b = ImageLoader.ToChw(fake, 0, 0, size);
                using var diff = ImageConversions.FromChw(a.Zip(b, (x, y) => Math.Min(1f, 8 * Math.Abs(x - y))).ToArray(), size, size);
                int y0 = row * size;
                using (real) using (fake)
                    sheet.Mutate(c => c.DrawImage(real, new Point(0, y0), 1f).DrawImage(fake, new Point(size, y0), 1f).DrawImage(diff, new Point(2 * size, y0), 1f));
            }
            AtomicFile.Write(Path.Combine(outputFolder, "generators-side-by-side.png"), s => sheet.Save(s, new PngEncoder()));
        }

        var columns = new List<float[]>();
        float[] MeanResidualSpectrum(Generator? g)
        {
            var residuals = Enumerable.Range(0, spectrumImages).Select(i =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (name, image) = EvaluationDataset.MakeImage(crops, Condition.Png, options, seed: 21, index: i, generator: g);
                using (image) return denoiser.ExtractResidual(new PreparedImage(name, size, size, size, ImageLoader.ToChw(image, 0, 0, size)));
            });
            return Spectrum.LogMagnitude(Spectrum.Mean(residuals), size);
        }
        columns.Add(MeanResidualSpectrum(null));
        foreach (var g in generators) columns.Add(MeanResidualSpectrum(g));
        using var strip = new Image<Rgb24>(columns.Count * size, size);
        for (int k = 0; k < columns.Count; k++)
        {
            using var tile = ImageConversions.FromChw(columns[k], size, size);
            int x0 = k * size;
            strip.Mutate(c => c.DrawImage(tile, new Point(x0, 0), 1f));
        }
        AtomicFile.Write(Path.Combine(outputFolder, "generators-spectra.png"), s => strip.Save(s, new PngEncoder()));
    }
}
