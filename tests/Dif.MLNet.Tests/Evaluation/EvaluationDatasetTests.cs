using SixLabors.ImageSharp;
using Dif.Evaluation;
using Dif.Imaging;

namespace Dif.Tests.Evaluation;

public sealed class EvaluationDatasetTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private string PhotoFolder()
    {
        var dir = Path.Combine(files.Root, "photos");
        Directory.CreateDirectory(dir);
        TestFiles.Picture(96, 80, seed: 1).SaveAsPng(Path.Combine(dir, "a.png"));
        TestFiles.Picture(80, 96, seed: 2).SaveAsPng(Path.Combine(dir, "b.png"));
        return dir;
    }

    private static DatasetOptions Small(double strength = 1.0, params Condition[] conditions) => new()
    {
        Size = 32, TrainCount = 2, TestCount = 2, Strength = strength,
        Conditions = conditions.Length > 0 ? conditions : [Condition.Png],
    };

    private static Dictionary<string, byte[]> Snapshot(string root)
        => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);

    [Fact]
    public void Same_seed_writes_identical_files()
    {
        var photos = PhotoFolder();
        using var g = Generator.Create("g", Upsampling.TransposedConv, seed: 1);
        var a = Path.Combine(files.Root, "a");
        var b = Path.Combine(files.Root, "b");
        EvaluationDataset.Write(photos, [g], a, Small());
        EvaluationDataset.Write(photos, [g], b, Small());
        var first = Snapshot(a);
        var second = Snapshot(b);
        Assert.Equal(8, first.Count); // 2 splits × (2 real + 2 fake)
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        foreach (var (name, bytes) in first) Assert.Equal(bytes, second[name]);
    }

    [Fact]
    public void Layout_has_real_and_per_generator_fake_folders()
    {
        var photos = PhotoFolder();
        using var g1 = Generator.Create("one", Upsampling.TransposedConv, seed: 1);
        using var g2 = Generator.Create("two", Upsampling.Bilinear, seed: 1);
        var root = Path.Combine(files.Root, "set");
        EvaluationDataset.Write(photos, [g1, g2], root, Small());
        Assert.Equal(2, Directory.GetFiles(EvaluationDataset.RealFolder(root, "png", "train")).Length);
        Assert.Equal(2, Directory.GetFiles(EvaluationDataset.FakeFolder(root, "png", "test", "two")).Length);
    }

    [Fact]
    public void Strength_zero_gives_the_real_crop_back()
    {
        using var crops = RealCrops.Load(PhotoFolder());
        using var g = Generator.Create("g", Upsampling.TransposedConv, seed: 1);
        var options = Small(strength: 0);
        var (_, plain) = EvaluationDataset.MakeImage(crops, Condition.Png, options, seed: 7, index: 1, generator: null);
        var (_, blended) = EvaluationDataset.MakeImage(crops, Condition.Png, options, seed: 7, index: 1, generator: g);
        using (plain) using (blended)
            Assert.Equal(ImageLoader.ToChw(plain, 0, 0, 32), ImageLoader.ToChw(blended, 0, 0, 32));
    }

    [Fact]
    public void Full_strength_changes_the_image()
    {
        using var crops = RealCrops.Load(PhotoFolder());
        using var g = Generator.Create("g", Upsampling.TransposedConv, seed: 1);
        var (_, plain) = EvaluationDataset.MakeImage(crops, Condition.Png, Small(), seed: 7, index: 1, generator: null);
        var (_, fake) = EvaluationDataset.MakeImage(crops, Condition.Png, Small(), seed: 7, index: 1, generator: g);
        using (plain) using (fake)
            Assert.NotEqual(ImageLoader.ToChw(plain, 0, 0, 32), ImageLoader.ToChw(fake, 0, 0, 32));
    }

    [Fact]
    public void Jpeg_condition_changes_bytes_but_not_size()
    {
        var photos = PhotoFolder();
        var root = Path.Combine(files.Root, "set");
        EvaluationDataset.Write(photos, [], root, Small(1.0, Condition.Png, Condition.Parse("jpeg50")));
        var png = Directory.GetFiles(EvaluationDataset.RealFolder(root, "png", "test")).Order().First();
        var jpeg = Directory.GetFiles(EvaluationDataset.RealFolder(root, "jpeg50", "test")).Order().First();
        Assert.EndsWith(".jpg", jpeg);
        var a = ImageLoader.Load(png, new ImageLoadOptions { CropSize = 32 });
        var b = ImageLoader.Load(jpeg, new ImageLoadOptions { CropSize = 32 });
        Assert.Equal((32, 32), (b.OriginalWidth, b.OriginalHeight));
        Assert.Equal((a.OriginalWidth, a.OriginalHeight), (b.OriginalWidth, b.OriginalHeight));
        Assert.NotEqual(a.Pixels, b.Pixels);
    }

    [Fact]
    public void Resize_and_crop_conditions_keep_the_final_size()
    {
        using var crops = RealCrops.Load(PhotoFolder());
        using var g = Generator.Create("g", Upsampling.NearestConv, seed: 1);
        foreach (var c in new[] { Condition.Parse("resize0.5"), Condition.Parse("crop0.5-0.9") })
        {
            var (_, image) = EvaluationDataset.MakeImage(crops, c, Small(), seed: 3, index: 0, generator: g);
            using (image) Assert.Equal((32, 32), (image.Width, image.Height));
        }
    }

    [Theory]
    [InlineData("tiff")]
    [InlineData("jpeg0")]
    [InlineData("resize2")]
    public void Unknown_conditions_are_refused(string name) => Assert.Throws<ArgumentException>(() => Condition.Parse(name));

    [Fact]
    public void Generator_file_round_trips()
    {
        using var g = Generator.Create("g", Upsampling.Bilinear, seed: 4);
        var path = files.PathOf("g.safetensors");
        g.Save(path);
        using var loaded = Generator.Load(path);
        Assert.Equal(Upsampling.Bilinear, loaded.Upsampling);
        Assert.Equal("g", loaded.Name);
        var image = new PreparedImage("x", 32, 32, 32, TestPixels());
        Assert.Equal(g.Generate(image), loaded.Generate(image));
    }

    private static float[] TestPixels()
    {
        var r = new Random(5);
        return Enumerable.Range(0, 3 * 32 * 32).Select(_ => (float)r.NextDouble()).ToArray();
    }
}
