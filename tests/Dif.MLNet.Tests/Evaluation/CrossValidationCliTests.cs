using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Dif.Tests.Evaluation;

/// <summary>`dif evaluate --real --fake --folds K`, run as the real CLI in a child process on a tiny folder pair.</summary>
public sealed class CrossValidationCliTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private static DifCli.Run Dif(params string[] args) => DifCli.Invoke(args);

    [Fact]
    public void Evaluate_with_real_and_fake_folders_cross_validates_and_writes_crossval_json_with_the_right_counts()
    {
        // 4 real pictures; 4 with a ±12-level checkerboard, in a subfolder, next to a file that is no image.
        var real = Directory.CreateDirectory(files.PathOf("real")).FullName;
        var fake = Directory.CreateDirectory(files.PathOf("fake")).FullName;
        var nested = Directory.CreateDirectory(Path.Combine(fake, "batch1")).FullName;
        for (int i = 0; i < 4; i++)
        {
            using (var r = TestFiles.Picture(40, 40, i)) r.SaveAsPng(Path.Combine(real, $"r{i}.png"));
            using var q = TestFiles.Picture(40, 40, 100 + i);
            for (int y = 0; y < 40; y++)
                for (int x = 0; x < 40; x++)
                {
                    var v = q[x, y];
                    int d = (x + y) % 2 == 0 ? 12 : -12;
                    q[x, y] = new Rgb24((byte)Math.Clamp(v.R + d, 0, 255), (byte)Math.Clamp(v.G + d, 0, 255), (byte)Math.Clamp(v.B + d, 0, 255));
                }
            q.SaveAsPng(Path.Combine(nested, $"f{i}.png"));
        }
        var bad = Path.Combine(nested, "notes.txt");
        File.WriteAllText(bad, "not an image");
        var output = files.PathOf("report");

        var run = Dif("evaluate", "--real", real, "--fake", fake, "--folds", "3", "--seed", "2", "--size", "32", "--epochs", "1", "--min-steps", "0", "--batch", "8",
                      "--out", output, "--cache", "none", "--threads", "1");

        Assert.True(run.ExitCode == 0, run.Errors);
        Assert.Contains($"dif: skipped: {bad}: ", run.Errors);
        Assert.Contains("1 of 9 images could not be used", run.Errors);
        Assert.Contains("fold 3/3: residual averaging", run.Errors);
        Assert.Contains("| Dif fingerprint |", run.Output);
        Assert.Contains("| residual averaging |", run.Output);
        Assert.True(File.Exists(Path.Combine(output, "crossval.md")));
        Assert.False(Directory.Exists(Path.Combine(output, ".residual-cache")));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "crossval.json")));
        var root = json.RootElement;
        Assert.Equal(3, root.GetProperty("folds").GetInt32());
        Assert.Equal(2, root.GetProperty("seed").GetInt32());
        Assert.Equal(4, root.GetProperty("real").GetInt32());
        Assert.Equal(4, root.GetProperty("fake").GetInt32());
        Assert.Equal(bad, Assert.Single(root.GetProperty("skipped").EnumerateArray()).GetProperty("path").GetString());
        Assert.Equal(8, root.GetProperty("images").GetArrayLength());
        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["Dif fingerprint", "residual averaging"], results.Select(r => r.GetProperty("detector").GetString()));
        foreach (var r in results)
        {
            var folds = r.GetProperty("folds").EnumerateArray().ToList();
            Assert.Equal(3, folds.Count);
            Assert.Equal(4, folds.Sum(f => f.GetProperty("test_real").GetInt32()));
            Assert.Equal(4, folds.Sum(f => f.GetProperty("test_fake").GetInt32()));
            Assert.All(folds, f => Assert.Equal(4, f.GetProperty("train_real").GetInt32() + f.GetProperty("test_real").GetInt32()));
            var pooled = r.GetProperty("pooled_confusion");
            Assert.Equal(8, pooled.GetProperty("tp").GetInt32() + pooled.GetProperty("fn").GetInt32() + pooled.GetProperty("tn").GetInt32() + pooled.GetProperty("fp").GetInt32());
        }
    }

    [Fact]
    public void Evaluate_with_folds_but_no_fake_images_is_a_usage_error()
    {
        var run = Dif("evaluate", "--real", files.Root, "--folds", "3");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--fake", run.Errors);
    }
}
