using Dif.Evaluation;
using Dif.Imaging;
using Dif.Tests.Denoising;

namespace Dif.Tests.Evaluation;

public sealed class ResidualCacheTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private string Images()
    {
        var dir = Path.Combine(files.Root, "images");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < 3; i++) File.Move(files.Png($"{i}.png", 40, 40, seed: i), Path.Combine(dir, $"{i}.png"));
        return dir;
    }

    [Fact]
    public void Cached_residuals_equal_fresh_ones_and_are_read_back_from_the_cache()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var dir = Images();
        var cache = Path.Combine(files.Root, "cache");
        var options = new ImageLoadOptions { CropSize = 32 };
        var fresh = EvaluationHarness.Residuals(d, dir, 3, options);
        var first = EvaluationHarness.Residuals(d, dir, 3, options, cacheFolder: cache);
        var cacheFile = Assert.Single(Directory.GetFiles(cache));
        var stamp = File.GetLastWriteTimeUtc(cacheFile);
        var second = EvaluationHarness.Residuals(d, dir, 3, options, cacheFolder: cache);
        Assert.Equal(fresh, first);
        Assert.Equal(fresh, second);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(cacheFile));
    }

    [Fact]
    public void Another_denoiser_or_a_changed_file_misses_the_cache()
    {
        using var d = DenoiserTests.RandomDenoiser(seed: 7);
        using var other = DenoiserTests.RandomDenoiser(seed: 8);
        var dir = Images();
        var cache = Path.Combine(files.Root, "cache");
        var options = new ImageLoadOptions { CropSize = 32 };
        EvaluationHarness.Residuals(d, dir, 3, options, cacheFolder: cache);
        Assert.Equal(EvaluationHarness.Residuals(other, dir, 3, options), EvaluationHarness.Residuals(other, dir, 3, options, cacheFolder: cache));
        using (var changed = TestFiles.Picture(40, 40, seed: 9)) SixLabors.ImageSharp.ImageExtensions.SaveAsPng(changed, Path.Combine(dir, "1.png"));
        Assert.Equal(EvaluationHarness.Residuals(d, dir, 3, options), EvaluationHarness.Residuals(d, dir, 3, options, cacheFolder: cache));
        Assert.Equal(3, Directory.GetFiles(cache).Length);
    }
}
