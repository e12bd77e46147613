using Dif.Evaluation;
using SixLabors.ImageSharp;

namespace Dif.Tests.Evaluation;

/// <summary>The real-photo corpus builder on a tiny unpacked "package" of two bundled photos: crops are
/// distinct grid tiles, every crop has one role, the super-resolution inputs and the bicubic control have
/// the right sizes, and licences come from the package's copyright file.</summary>
public sealed class PhotoCorpusTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private const string Copyright = """
        Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

        Files: *
        Copyright: Somebody
        License: GPL-2+

        Files: 16.04/rocket.jpg
        Copyright: 2018, A Photographer
        License: CC-BY-4.0
        """;

    private (string Packages, string Manifest) Package()
    {
        var root = Path.Combine(files.Root, "packages", "test-wallpapers");
        var backgrounds = Directory.CreateDirectory(Path.Combine(root, "usr", "share", "backgrounds")).FullName;
        foreach (var photo in new[] { "rocket.jpg", "hubble_deep_field.jpg" })
            File.Copy(Path.Combine(RepoPaths.Root, "data", "photos", "evaluation", photo), Path.Combine(backgrounds, photo));
        var doc = Directory.CreateDirectory(Path.Combine(root, "usr", "share", "doc", "test-wallpapers")).FullName;
        File.WriteAllText(Path.Combine(doc, "copyright"), Copyright);
        var manifest = files.PathOf("photos.tsv");
        File.WriteAllText(manifest, """
            # checked by eye
            package	version	member	verdict	denoiser	note
            test-wallpapers	1	usr/share/backgrounds/rocket.jpg	photo	train	a rocket
            test-wallpapers	1	usr/share/backgrounds/hubble_deep_field.jpg	photo	heldout	galaxies
            test-wallpapers	1	usr/share/backgrounds/drawing.svg	illustration		not a photo
            """);
        return (Path.Combine(files.Root, "packages"), manifest);
    }

    private static PhotoCorpusOptions Small() => new() { CropSize = 64, MaxCropsPerPhoto = 30, MinStdDev = 0, TrainPerClass = 4, TestPerClass = 2, Scales = [2, 3] };

    [Fact]
    public void Every_crop_is_a_distinct_grid_tile_with_one_role()
    {
        var (packages, manifest) = Package();
        var output = files.PathOf("corpus");
        var summary = PhotoCorpus.Build(packages, manifest, output, Small());

        Assert.Equal(2, summary.Photos);
        Assert.Equal(60, summary.Crops);
        Assert.Equal(12, summary.Evaluation);
        var rows = File.ReadAllLines(Path.Combine(output, "crops.tsv")).Skip(1).Select(l => l.Split('\t')).ToList();
        Assert.Equal(60, rows.Count);
        // Tiles of one photo never overlap: their origins are distinct points of a 64-pixel grid.
        foreach (var photo in rows.GroupBy(r => r[1]))
        {
            var origins = photo.Select(r => (X: int.Parse(r[2]), Y: int.Parse(r[3]))).ToList();
            Assert.Equal(origins.Count, origins.Distinct().Count());
            Assert.All(origins, o => Assert.Equal(origins[0].X % 64, o.X % 64));
        }
        Assert.Equal(4, rows.Count(r => r[4] == "real-train"));
        Assert.Equal(2, rows.Count(r => r[4] == "source-test"));
        Assert.All(rows.Where(r => r[4] == "denoiser-heldout"), r => Assert.Equal("hubble_deep_field", r[1]));
        Assert.Equal(rows.Count(r => r[4] == "denoiser-train") + rows.Count(r => r[4] == "denoiser-heldout"), summary.DenoiserTrain + summary.DenoiserHeldOut);
    }

    [Fact]
    public void Generators_get_the_same_crops_downscaled_and_the_bicubic_control_upscales_them_back()
    {
        var (packages, manifest) = Package();
        var output = files.PathOf("corpus");
        PhotoCorpus.Build(packages, manifest, output, Small());

        var sources = Directory.GetFiles(Path.Combine(output, "sr", "source", "train")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(4, sources.Count);
        foreach (var (scale, low) in new[] { (2, 32), (3, 22) })   // ⌈64/F⌉, so F·L covers the crop
        {
            var lowRes = Path.Combine(PhotoCorpus.LowResolutionFolder(output, scale, "train"));
            Assert.Equal(sources, Directory.GetFiles(lowRes).Select(Path.GetFileName).Order().ToList());
            Assert.Equal((low, low), SizeOf(Path.Combine(lowRes, sources[0]!)));
            var control = Path.Combine(output, "sr", "png", "train", "fake", $"bicubic-x{scale}", sources[0]!);
            Assert.Equal((low * scale, low * scale), SizeOf(control));
        }
        Assert.Empty(Directory.GetFiles(Path.Combine(output, "sr", "png", "train", "real")).Select(Path.GetFileName).Intersect(sources));
    }

    [Fact]
    public void Licences_come_from_the_matching_copyright_stanza_and_the_package_default()
    {
        var (packages, manifest) = Package();
        var output = files.PathOf("corpus");
        PhotoCorpus.Build(packages, manifest, output, Small());
        var licences = File.ReadAllLines(Path.Combine(output, "licences.tsv")).Skip(1).Select(l => l.Split('\t')).ToDictionary(f => f[0]);
        Assert.Equal("CC-BY-4.0", licences["rocket"][6]);
        Assert.Equal("2018, A Photographer", licences["rocket"][5]);
        Assert.Equal("GPL-2+", licences["hubble_deep_field"][6]);
        Assert.Matches("^[0-9a-f]{64}$", licences["rocket"][4]);
    }

    [Fact]
    public void A_photo_missing_from_the_unpacked_package_is_named()
    {
        var (packages, manifest) = Package();
        File.Delete(Path.Combine(packages, "test-wallpapers", "usr", "share", "backgrounds", "rocket.jpg"));
        var e = Assert.Throws<DifException>(() => PhotoCorpus.Build(packages, manifest, files.PathOf("corpus"), Small()));
        Assert.Contains("rocket.jpg", e.Message);
        Assert.Contains("dpkg-deb -x", e.Message);
    }

    [Fact]
    public void The_jpeg_condition_re_encodes_both_classes_alike()
    {
        var (packages, manifest) = Package();
        var output = files.PathOf("corpus");
        PhotoCorpus.Build(packages, manifest, output, Small());
        var jpeg = files.PathOf("jpeg90");
        int n = PhotoCorpus.WriteJpegCondition(Path.Combine(output, "sr", "png"), jpeg, 90);
        Assert.Equal(Directory.GetFiles(Path.Combine(output, "sr", "png"), "*.png", SearchOption.AllDirectories).Length, n);
        Assert.All(Directory.GetFiles(jpeg, "*", SearchOption.AllDirectories), f => Assert.Equal(".jpg", Path.GetExtension(f)));
        Assert.Equal(0, PhotoCorpus.WriteJpegCondition(Path.Combine(output, "sr", "png"), jpeg, 90));   // a rerun keeps what is there
    }

    private static (int, int) SizeOf(string path)
    {
        var info = Image.Identify(path);
        return (info.Width, info.Height);
    }
}
