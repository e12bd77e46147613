using Dif.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dif.Evaluation;

/// <summary>Many distinct S×S crops of a few photos, deterministic from a seed: random position, scale
/// (the window is S/scale pixels, resized to S) and horizontal flip.</summary>
public sealed class RealCrops : IDisposable
{
    private readonly List<(string Name, Image<Rgb24> Image)> photos = [];

    /// <summary>Smallest scale: a window up to S/MinScale pixels wide is resized down to S.</summary>
    public double MinScale { get; init; } = 0.6;

    /// <summary>Loads every image file in <paramref name="folder"/>.</summary>
    public static RealCrops Load(string folder)
    {
        var crops = new RealCrops();
        foreach (var f in ImageFiles.In(folder))
            crops.photos.Add((Path.GetFileNameWithoutExtension(f), ImageLoader.Decode(f)));
        if (crops.photos.Count == 0) throw new DifException($"{folder}: no photos found.");
        return crops;
    }

    /// <summary>The <paramref name="index"/>-th crop of the sequence for <paramref name="seed"/>, as an
    /// image of <paramref name="size"/>×<paramref name="size"/>, with a name saying where it came from.</summary>
    public (string Name, Image<Rgb24> Image) Crop(int seed, int index, int size)
    {
        var random = new Random(Training.StepSeeds.Of(seed, index, 5));
        var (name, photo) = photos[index % photos.Count];
        double scale = MinScale + random.NextDouble() * (1 - MinScale);
        int window = Math.Min((int)Math.Round(size / scale), Math.Min(photo.Width, photo.Height));
        if (window < size) throw new DifException($"Photo '{name}' ({photo.Width}×{photo.Height}) is smaller than the {size}×{size} crop.");
        int x = random.Next(photo.Width - window + 1), y = random.Next(photo.Height - window + 1);
        bool flip = random.Next(2) == 1;
        var crop = photo.Clone(c =>
        {
            c.Crop(new Rectangle(x, y, window, window));
            if (window != size) c.Resize(size, size, KnownResamplers.Bicubic);
            if (flip) c.Flip(FlipMode.Horizontal);
        });
        return ($"{name}-{x}-{y}-{window}{(flip ? "-f" : "")}", crop);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, image) in photos) image.Dispose();
    }
}
