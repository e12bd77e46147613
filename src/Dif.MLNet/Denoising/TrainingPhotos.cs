using Dif.Imaging;

namespace Dif.Denoising;

/// <summary>Whole photos held as C×H×W floats in [0,1], with deterministic random crops for training
/// and bias estimation.</summary>
public sealed class TrainingPhotos
{
    private readonly List<(string Path, int W, int H, float[] Chw)> photos = [];

    /// <summary>Loads every image file under <paramref name="paths"/> (files or folders, not recursive).</summary>
    public static TrainingPhotos Load(IEnumerable<string> paths, ImageLoadOptions? options = null)
    {
        var result = new TrainingPhotos();
        foreach (var path in paths)
        {
            IEnumerable<string> files = Directory.Exists(path)
                ? ImageFiles.In(path)
                : [path];
            foreach (var file in files)
            {
                using var img = ImageLoader.Decode(file, options);
                result.photos.Add((file, img.Width, img.Height, ImageLoader.ToChw(img, 0, 0, img.Width, img.Height)));
            }
        }
        if (result.photos.Count == 0) throw new DifException($"No images found in: {string.Join(", ", paths)}.");
        return result;
    }


    /// <summary>Number of photos.</summary>
    public int Count => photos.Count;

    /// <summary>File names of the photos.</summary>
    public IEnumerable<string> Paths => photos.Select(p => p.Path);

    /// <summary>Fills <paramref name="destination"/> (n×3×p×p) with random crops, each under one of
    /// the 8 flips/rotations, drawn with <paramref name="random"/>.</summary>
    public void SamplePatches(Random random, int n, int p, Span<float> destination)
    {
        int plane = p * p;
        for (int k = 0; k < n; k++)
        {
            var (_, w, h, chw) = photos[random.Next(photos.Count)];
            if (w < p || h < p) throw new DifException($"A training photo is smaller than the {p}×{p} patch.");
            int x0 = random.Next(w - p + 1), y0 = random.Next(h - p + 1), t = random.Next(8);
            var dst = destination.Slice(k * 3 * plane, 3 * plane);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < p; y++)
                    for (int x = 0; x < p; x++)
                    {
                        // Dihedral transform t of the patch coordinates.
                        int u = x, v = y;
                        if ((t & 1) != 0) u = p - 1 - u;
                        if ((t & 2) != 0) v = p - 1 - v;
                        if ((t & 4) != 0) (u, v) = (v, u);
                        dst[c * plane + y * p + x] = chw[c * w * h + (y0 + v) * w + (x0 + u)];
                    }
        }
    }

    /// <summary>Deterministic S×S crops (random positions from <paramref name="seed"/>), cycling through the photos.</summary>
    public IEnumerable<PreparedImage> Crops(int size, int count, int seed)
    {
        var random = new Random(seed);
        for (int k = 0; k < count; k++)
        {
            var (path, w, h, chw) = photos[k % photos.Count];
            if (w < size || h < size) continue;
            int x0 = random.Next(w - size + 1), y0 = random.Next(h - size + 1);
            var px = new float[3 * size * size];
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < size; y++)
                    Array.Copy(chw, c * w * h + (y0 + y) * w + x0, px, c * size * size + y * size, size);
            yield return new PreparedImage($"{path}#{x0},{y0}", w, h, size, px);
        }
    }
}
