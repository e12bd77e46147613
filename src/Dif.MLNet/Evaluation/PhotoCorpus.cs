using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dif.Imaging;
using Dif.Persistence;
using Dif.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Dif.Evaluation;

/// <summary>Options of <see cref="PhotoCorpus.Build(string, string, string, PhotoCorpusOptions?, IProgress{string}?, CancellationToken)"/>.</summary>
public sealed class PhotoCorpusOptions
{
    /// <summary>Side of every crop (the detector's crop size S).</summary>
    public int CropSize { get; set; } = ImageLoadOptions.DefaultCropSize;
    /// <summary>Most crops taken from one photo, so a few very large photos do not make up the corpus.</summary>
    public int MaxCropsPerPhoto { get; set; } = 96;
    /// <summary>Crops whose luma standard deviation (0–1 scale) is below this are left out: a patch of clear
    /// sky carries almost no content for a denoiser to learn from or a generator to re-synthesise.</summary>
    public double MinStdDev { get; set; } = 0.02;
    /// <summary>Seed of every choice (which crops, which role).</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Real images, and generated images, per class in the evaluation train split.</summary>
    public int TrainPerClass { get; set; } = 128;
    /// <summary>Per class in the evaluation test split.</summary>
    public int TestPerClass { get; set; } = 64;
    /// <summary>Super-resolution factors: one low-resolution input folder and bicubic control per factor.</summary>
    public IReadOnlyList<int> Scales { get; set; } = [2, 3, 4, 8];

    /// <summary>Throws <see cref="ArgumentException"/> for values out of range.</summary>
    public void Validate()
    {
        if (CropSize <= 0 || CropSize % 16 != 0) throw new ArgumentException($"CropSize must be a positive multiple of 16 (got {CropSize}).");
        if (MaxCropsPerPhoto < 1) throw new ArgumentException("MaxCropsPerPhoto must be at least 1.");
        if (TrainPerClass < 1 || TestPerClass < 1) throw new ArgumentException("TrainPerClass and TestPerClass must be at least 1.");
        if (Scales.Count == 0 || Scales.Any(s => s is < 2 or > 16)) throw new ArgumentException("Scales must be factors from 2 to 16.");
    }
}

/// <summary>What <see cref="PhotoCorpus.Build(string, string, string, PhotoCorpusOptions?, IProgress{string}?, CancellationToken)"/> wrote.</summary>
/// <param name="Photos">Photos used.</param>
/// <param name="Crops">Crops written, all roles together.</param>
/// <param name="DenoiserTrain">Crops for training a denoiser.</param>
/// <param name="DenoiserHeldOut">Crops of the held-out photos, for measuring one.</param>
/// <param name="Evaluation">Crops in the evaluation set (real images plus the sources of the generated ones).</param>
public sealed record PhotoCorpusSummary(int Photos, int Crops, int DenoiserTrain, int DenoiserHeldOut, int Evaluation);

/// <summary>The real-photo corpus: distinct, non-overlapping S×S crops at native resolution of the
/// photographs listed in a <see cref="PhotoManifest"/>, unpacked from their Debian packages, and the
/// inputs of the super-resolution evaluation made from them. Layout under the output folder:
/// <code>
/// denoiser/train/*.png, denoiser/heldout/*.png      crops for training a denoiser / measuring it (held-out photos)
/// sr/png/{train,test}/real/*.png                    real images of the evaluation
/// sr/source/{train,test}/*.png                      the high-resolution crops the generated images are made from
/// sr/lowres/xF/{train,test}/*.png                   those crops downscaled by F (bicubic): every generator's input
/// sr/png/{train,test}/fake/bicubic-xF/*.png         the bicubic-upscale control from the same inputs
/// crops.tsv, licences.tsv                           where every crop came from; each photo's licence
/// </code>
/// Real images and generated-image sources are drawn alternately from one seeded shuffle of all crops, so
/// both classes sample the same photos; no crop serves two roles. Every file is a deterministic function
/// of the manifest, the packages and the options; existing files are kept, so a rerun is quick.</summary>
public static class PhotoCorpus
{
    /// <summary>Builds the corpus from packages unpacked as <c>packagesRoot/PACKAGE/</c> (<c>dpkg-deb -x</c>).</summary>
    public static PhotoCorpusSummary Build(string packagesRoot, string manifestPath, string outputFolder, PhotoCorpusOptions? options = null,
                                           IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new PhotoCorpusOptions();
        options.Validate();
        var photos = PhotoManifest.Read(manifestPath).Where(e => e.IsPhoto).ToList();
        if (photos.Count == 0) throw new DifException($"{manifestPath}: no file has the verdict 'photo'.");

        var crops = new List<Crop>();
        try { return Build(photos, crops, packagesRoot, manifestPath, outputFolder, options, progress, cancellationToken); }
        finally { foreach (var c in crops) c.Pixels.Dispose(); }
    }

    private static PhotoCorpusSummary Build(List<ManifestEntry> photos, List<Crop> crops, string packagesRoot, string manifestPath, string outputFolder,
                                            PhotoCorpusOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var licences = new StringBuilder("photo\tpackage\tversion\tmember\tsha256\tcopyright\tlicense\tcrops\n");
        foreach (var (photo, index) in photos.Select((p, i) => (p, i)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var file = Path.Combine(packagesRoot, photo.Package, photo.Member);
            if (!File.Exists(file))
                throw new DifException($"{file}: listed in {manifestPath} but not found; unpack {photo.Package} {photo.Version} with dpkg-deb -x into {Path.Combine(packagesRoot, photo.Package)} (scripts/make-real-data.sh does).");
            using var image = ImageLoader.Decode(file, new ImageLoadOptions());
            var mine = Tiles(image, photo, index, options);
            crops.AddRange(mine);
            var copyright = DebianCopyright.Find(Path.Combine(packagesRoot, photo.Package, "usr/share/doc", photo.Package, "copyright"), photo.Member);
            licences.Append(CultureInfo.InvariantCulture,
                $"{photo.PhotoName}\t{photo.Package}\t{photo.Version}\t{photo.Member}\t{Sha256(file)}\t{Flat(copyright?.Copyright ?? "unknown")}\t{copyright?.License ?? "unknown"}\t{mine.Count}\n");
            progress?.Report($"{photo.PhotoName}: {image.Width}×{image.Height}, {mine.Count} crops");
        }

        // One seeded shuffle of all crops; the first ones alternate between real images and generated-image sources.
        var order = crops.ToArray();
        new Random(StepSeeds.Of(options.Seed, 0, 12)).Shuffle(order);
        int perClass = options.TrainPerClass + options.TestPerClass;
        if (order.Length < 2 * perClass)
            throw new DifException($"The photos give {order.Length} crops, fewer than the {2 * perClass} the evaluation set needs.");
        for (int i = 0; i < order.Length; i++)
        {
            var c = order[i];
            if (i < 2 * perClass)
            {
                int k = i / 2;
                var split = k < options.TrainPerClass ? "train" : "test";
                int n = split == "train" ? k : k - options.TrainPerClass;
                c.Role = (i % 2 == 0 ? "real-" : "source-") + split;
                c.FileName = $"{n:D4}-{c.Name}.png";
            }
            else
            {
                c.Role = "denoiser-" + c.DenoiserSplit;
                c.FileName = c.Name + ".png";
            }
        }

        var table = new StringBuilder("file\tphoto\tx\ty\trole\n");
        foreach (var c in order.OrderBy(c => c.PhotoIndex).ThenBy(c => c.Y).ThenBy(c => c.X))
        {
            cancellationToken.ThrowIfCancellationRequested();
            WriteCrop(c.Pixels, c, outputFolder, options);
            table.Append(CultureInfo.InvariantCulture, $"{c.FileName}\t{photos[c.PhotoIndex].PhotoName}\t{c.X}\t{c.Y}\t{c.Role}\n");
        }
        progress?.Report($"{order.Length} crops written");
        WriteText(Path.Combine(outputFolder, "crops.tsv"), table.ToString());
        WriteText(Path.Combine(outputFolder, "licences.tsv"), licences.ToString());
        return new PhotoCorpusSummary(photos.Count, order.Length, order.Count(c => c.Role == "denoiser-train"),
                                      order.Count(c => c.Role == "denoiser-heldout"), 2 * perClass);
    }

    /// <summary>The folder of the low-resolution inputs of one factor and split.</summary>
    public static string LowResolutionFolder(string outputFolder, int scale, string split) => Path.Combine(outputFolder, "sr", "lowres", $"x{scale}", split);

    /// <summary>Copies a condition tree (<c>{train,test}/real</c>, <c>{train,test}/fake/NAME</c>) re-encoding every
    /// image as JPEG at <paramref name="quality"/>, the same for both classes: the both-JPEG condition. Files already
    /// there are kept. Returns the number of files written.</summary>
    public static int WriteJpegCondition(string pngRoot, string jpegRoot, int quality, CancellationToken cancellationToken = default)
    {
        var condition = Condition.Parse($"jpeg{quality}");
        int written = 0;
        foreach (var file in Directory.EnumerateFiles(pngRoot, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var target = Path.ChangeExtension(Path.Combine(jpegRoot, Path.GetRelativePath(pngRoot, file)), condition.Extension);
            if (File.Exists(target)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var image = ImageLoader.Decode(file);
            condition.Save(image, target);
            written++;
        }
        return written;
    }

    /// <summary>One tile, held as pixels until it is written (1,650 crops are about 320 MB), so no photo is decoded twice.</summary>
    private sealed class Crop(string name, int photoIndex, int x, int y, string denoiserSplit, Image<Rgb24> pixels)
    {
        public Image<Rgb24> Pixels { get; } = pixels;
        public string Name { get; } = name;
        public int PhotoIndex { get; } = photoIndex;
        public int X { get; } = x;
        public int Y { get; } = y;
        public string DenoiserSplit { get; } = denoiserSplit;
        public string Role { get; set; } = "";
        public string FileName { get; set; } = "";
    }

    /// <summary>The photo's non-overlapping S×S grid (centred), less flat tiles, at most MaxCropsPerPhoto of them, seeded.</summary>
    private static List<Crop> Tiles(Image<Rgb24> image, ManifestEntry photo, int index, PhotoCorpusOptions options)
    {
        int s = options.CropSize;
        int nx = image.Width / s, ny = image.Height / s;
        int x0 = (image.Width - nx * s) / 2, y0 = (image.Height - ny * s) / 2;
        var kept = new List<(int X, int Y)>();
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
            {
                int x = x0 + i * s, y = y0 + j * s;
                if (LumaStdDev(ImageLoader.ToChw(image, x, y, s)) >= options.MinStdDev) kept.Add((x, y));
            }
        var order = kept.ToArray();
        new Random(StepSeeds.Of(options.Seed, index, 11)).Shuffle(order);
        var split = photo.DenoiserSplit == "heldout" ? "heldout" : "train";
        return order.Take(options.MaxCropsPerPhoto).OrderBy(t => t.Y).ThenBy(t => t.X)
            .Select(t => new Crop($"{photo.PhotoName}-{t.X}-{t.Y}", index, t.X, t.Y, split, image.Clone(c => c.Crop(new Rectangle(t.X, t.Y, s, s)))))
            .ToList();
    }

    private static double LumaStdDev(float[] chw)
    {
        int n = chw.Length / 3;
        double sum = 0, sq = 0;
        for (int k = 0; k < n; k++)
        {
            double l = 0.299 * chw[k] + 0.587 * chw[n + k] + 0.114 * chw[2 * n + k];
            sum += l;
            sq += l * l;
        }
        double mean = sum / n;
        return Math.Sqrt(Math.Max(0, sq / n - mean * mean));
    }

    private static void WriteCrop(Image<Rgb24> crop, Crop c, string root, PhotoCorpusOptions options)
    {
        var split = c.Role.EndsWith("train", StringComparison.Ordinal) ? "train" : "test";
        switch (c.Role)
        {
            case "real-train" or "real-test":
                Save(crop, Path.Combine(root, "sr", "png", split, "real", c.FileName));
                break;
            case "source-train" or "source-test":
                Save(crop, Path.Combine(root, "sr", "source", split, c.FileName));
                foreach (int f in options.Scales)
                {
                    // The generators' input: the crop downscaled by F (to ceil(S/F), so F·L ≥ S and Dif's centre crop fits).
                    int low = (options.CropSize + f - 1) / f;
                    using var lowRes = crop.Clone(x => x.Resize(low, low, KnownResamplers.Bicubic));
                    Save(lowRes, Path.Combine(LowResolutionFolder(root, f, split), c.FileName));
                    using var control = lowRes.Clone(x => x.Resize(low * f, low * f, KnownResamplers.Bicubic));
                    Save(control, Path.Combine(root, "sr", "png", split, "fake", $"bicubic-x{f}", c.FileName));
                }
                break;
            default:
                Save(crop, Path.Combine(root, "denoiser", c.DenoiserSplit, c.FileName));
                break;
        }
    }

    private static void Save(Image<Rgb24> image, string path)
    {
        if (File.Exists(path)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, stream => image.Save(stream, new PngEncoder()));
    }

    private static void WriteText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text)));
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Flat(string text) => text.Replace('\n', ' ').Replace('\t', ' ');
}
