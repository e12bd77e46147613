using Dif.Imaging;

namespace Dif.Denoising;

/// <summary>The residual of one image file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Residual">R = f_D(X) − F_DnCNN, 3×S×S values.</param>
public sealed record FileResidual(string Path, float[] Residual);

/// <summary>Residuals of many image files, the way batch tools want them: one image at a time (memory
/// stays flat), a bad file is reported and skipped rather than ending the batch, progress per file,
/// cancellation between files.</summary>
public static class ResidualExtraction
{
    /// <summary>Extracts the residual of every readable file in <paramref name="files"/>.</summary>
    /// <param name="denoiser">The denoiser.</param>
    /// <param name="files">Image files.</param>
    /// <param name="options">Crop size and decoding limits.</param>
    /// <param name="skipped">Called for each file that could not be used (the exception names it); null rethrows.</param>
    /// <param name="progress">Receives the count of files done after each file.</param>
    /// <param name="cancellationToken">Checked between files.</param>
    public static List<FileResidual> FromFiles(Denoiser denoiser, IEnumerable<string> files, ImageLoadOptions options,
                                               Action<DifImageException>? skipped = null, IProgress<int>? progress = null,
                                               CancellationToken cancellationToken = default)
    {
        var result = new List<FileResidual>();
        int done = 0;
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                result.Add(new FileResidual(file, denoiser.ExtractResidual(ImageLoader.Load(file, options))));
            }
            catch (DifImageException e) when (skipped is not null)
            {
                skipped(e);
            }
            progress?.Report(++done);
        }
        return result;
    }
}
