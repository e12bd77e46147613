using Dif.Imaging;
using Dif.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dif.Evaluation;

/// <summary>Options of <see cref="EvaluationDataset.Write"/>.</summary>
public sealed class DatasetOptions
{
    /// <summary>Side of every image (the detector's crop size S).</summary>
    public int Size { get; set; } = 256;
    /// <summary>Images per class in the train split.</summary>
    public int TrainCount { get; set; } = 128;
    /// <summary>Images per class in the test split.</summary>
    public int TestCount { get; set; } = 128;
    /// <summary>Seed of crops and random geometry.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Artifact strength: fake = Strength·G(x) + (1 − Strength)·x. 1 is the plain generator.</summary>
    public double Strength { get; set; } = 1.0;
    /// <summary>Conditions written for both splits.</summary>
    public IReadOnlyList<Condition> Conditions { get; set; } = Condition.Standard;
    /// <summary>Conditions written for the test split only (robustness).</summary>
    public IReadOnlyList<Condition> TestOnlyConditions { get; set; } = [];
}

/// <summary>Writes the evaluation sets: <c>OUT/CONDITION/SPLIT/real/</c> and
/// <c>OUT/CONDITION/SPLIT/fake/GENERATOR/</c>, PNG or JPEG files any tool can read. Real images are
/// crops of the evaluation photos; fakes are a generator's re-synthesis of other crops of the same
/// photos. Every file is a deterministic function of the options.</summary>
public static class EvaluationDataset
{
    /// <summary>The folder of real images of a condition and split.</summary>
    public static string RealFolder(string root, string condition, string split) => Path.Combine(root, condition, split, "real");

    /// <summary>The folder of one generator's images of a condition and split.</summary>
    public static string FakeFolder(string root, string condition, string split, string generator) => Path.Combine(root, condition, split, "fake", generator);

    /// <summary>Writes the sets; returns the number of files written.</summary>
    public static int Write(string photoFolder, IReadOnlyList<IImageSynthesiser> generators, string outputFolder, DatasetOptions options,
                            IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        if (options.Size % 16 != 0) throw new ArgumentException("Size must be a multiple of 16.");
        if (options.Strength is < 0 or > 1) throw new ArgumentException("Strength must be in [0, 1].");
        using var crops = RealCrops.Load(photoFolder);
        int written = 0;
        var jobs = options.Conditions.SelectMany(c => new[] { (c, "train", options.TrainCount), (c, "test", options.TestCount) })
            .Concat(options.TestOnlyConditions.Select(c => (c, "test", options.TestCount)));
        foreach (var (condition, split, count) in jobs)
        {
            int splitSeed = options.Seed * 1000 + (split == "train" ? 0 : 1);
            var realDir = RealFolder(outputFolder, condition.Name, split);
            Directory.CreateDirectory(realDir);
            for (int i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (name, image) = MakeImage(crops, condition, options, splitSeed, i, null);
                using (image) condition.Save(image, Path.Combine(realDir, $"{i:D4}-{name}{condition.Extension}"));
                written++;
            }
            foreach (var g in generators)
            {
                var fakeDir = FakeFolder(outputFolder, condition.Name, split, g.Name);
                Directory.CreateDirectory(fakeDir);
                for (int i = 0; i < count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // Fakes re-synthesise other crops than the reals (seed + 500): same photos, other content.
                    var (name, image) = MakeImage(crops, condition, options, splitSeed + 500, i, g);
                    using (image) condition.Save(image, Path.Combine(fakeDir, $"{i:D4}-{name}{condition.Extension}"));
                    written++;
                }
            }
            progress?.Report($"{condition.Name}/{split}: {count} real + {count}×{generators.Count} generated");
        }
        return written;
    }

    /// <summary>One image of the set: a crop (made at S/resize when resizing), optionally re-synthesised
    /// by <paramref name="generator"/> and blended, then resized and cropped per the condition.</summary>
    public static (string Name, Image<Rgb24> Image) MakeImage(RealCrops crops, Condition condition, DatasetOptions options, int seed, int index, IImageSynthesiser? generator)
    {
        int s = options.Size;
        int work = condition.ResizeFactor < 1 ? (int)Math.Round(s / condition.ResizeFactor / 4) * 4 : s;
        var (name, image) = crops.Crop(seed, index, work);
        if (generator is not null)
        {
            var pixels = ImageLoader.ToChw(image, 0, 0, work);
            var generated = generator.Generate(new PreparedImage(name, work, work, work, pixels));
            double a = options.Strength;
            for (int k = 0; k < pixels.Length; k++) pixels[k] = (float)(a * generated[k] + (1 - a) * pixels[k]);
            image.Dispose();
            image = ImageConversions.FromChw(pixels, work, work);
        }
        if (work != s) image.Mutate(c => c.Resize(s, s, KnownResamplers.Bicubic));
        condition.ApplyGeometry(image, new Random(StepSeeds.Of(seed, index, 9)));
        return (name, image);
    }
}
