using Dif.Imaging;

namespace Dif.Denoising;

/// <summary>The residual of one image file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Residual">R = f_D(X) − F_DnCNN, 3×S×S values.</param>
public sealed record FileResidual(string Path, float[] Residual);

/// <summary>Residuals of many image files, the way batch tools want them: files are decoded one at a time
/// and run through the DnCNN in small batches (memory stays flat), a bad file is reported and skipped rather
/// than ending the batch, progress after each batch, cancellation between files.</summary>
public static class ResidualExtraction
{
    /// <summary>Images per DnCNN call. On 2 CPU cores at 256², a batch of 8 measured 1.07× the images/s of
    /// single images on a quiet machine (4.23 vs 3.97, bench/run.sh) and needed ~30% fewer CPU-seconds per
    /// image on a busy one (0.54 vs 0.77, <c>Dif.Bench ab-dncnn</c>); residuals are the same within float
    /// rounding (tests/Dif.MLNet.Tests/Performance). A batch of 8 at 256² holds ~0.3 GB of activations.</summary>
    public const int DefaultBatchSize = 8;

    /// <summary>Extracts the residual of every readable file in <paramref name="files"/>, in order.</summary>
    /// <param name="denoiser">The denoiser.</param>
    /// <param name="files">Image files.</param>
    /// <param name="options">Crop size and decoding limits.</param>
    /// <param name="skipped">Called for each file that could not be used (unreadable, not an image, or a residual
    /// with NaN or infinity; the exception names it); null rethrows.</param>
    /// <param name="progress">Receives the count of files done (extracted or skipped) after each batch.</param>
    /// <param name="cancellationToken">Checked between files.</param>
    /// <param name="batchSize">Images per DnCNN call (1 = one at a time).</param>
    public static List<FileResidual> FromFiles(Denoiser denoiser, IEnumerable<string> files, ImageLoadOptions options,
                                               Action<DifImageException>? skipped = null, IProgress<int>? progress = null,
                                               CancellationToken cancellationToken = default, int batchSize = DefaultBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new List<FileResidual>();
        var pending = new List<(string File, PreparedImage Image)>(batchSize);
        int done = 0, reported = 0;
        void Flush()
        {
            if (pending.Count == 0) return;
            var residuals = denoiser.ExtractResidualsUnchecked(pending.Select(p => p.Image).ToList());
            for (int i = 0; i < pending.Count; i++)
            {
                // Checked one by one, so an image the denoiser overflowed on is skipped, not its whole batch.
                if (Denoiser.NonFinite(residuals[i], pending[i].File) is { } bad)
                {
                    if (skipped is null) throw bad;
                    skipped(bad);
                }
                else result.Add(new FileResidual(pending[i].File, residuals[i]));
            }
            done += pending.Count;
            pending.Clear();
            progress?.Report(reported = done);
        }
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                pending.Add((file, ImageLoader.Load(file, options)));
            }
            catch (DifImageException e) when (skipped is not null)
            {
                skipped(e);
                done++;
            }
            if (pending.Count == batchSize) Flush();
        }
        Flush();
        if (done != reported) progress?.Report(done); // files skipped after the last batch
        return result;
    }
}
