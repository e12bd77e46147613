using System.Text.Json;
using Dif.Fingerprinting;
using Dif.Lineage;

namespace Dif.Tests.Lineage;

public sealed class LineageTests
{
    private const int Size = 16;
    private const int Length = 3 * Size * Size;

    private static float[] Noise(Random r) => Enumerable.Range(0, Length).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    private static float[] Mix(float[] a, float[] b, double wb) => a.Zip(b, (x, y) => (float)(x + wb * y)).ToArray();

    /// <summary>A hand-made fingerprint for pattern P: real residuals correlate ~0 with it, its model's ~ρ_fake.</summary>
    private static Fingerprint Known(string name, float[] pattern, double fakeCentre)
        => new(pattern, Size, 0, fakeCentre, new ScoreCalibration(200, ScoreCalibration.HeldOut, 40), name: name);

    /// <summary>Three models: a parent P, a child sharing most of P's pattern, an unrelated twin.</summary>
    private static (List<Fingerprint> Fingerprints, List<ModelTestSet> Sets) Family()
    {
        var r = new Random(5);
        var parent = Noise(r);
        var child = Mix(parent, Noise(r), 0.4);
        var twin = Noise(r);
        var real = Enumerable.Range(0, 30).Select(_ => Noise(r)).ToList();
        List<float[]> Fakes(float[] p) => Enumerable.Range(0, 30).Select(_ => Mix(Noise(r), p, 0.5)).ToList();
        // Own-model correlation of noise + 0.5·P with P is about 0.45; centre the boundary half-way.
        var fingerprints = new List<Fingerprint> { Known("parent", parent, 0.44), Known("child", child, 0.44), Known("twin", twin, 0.44) };
        var sets = new List<ModelTestSet> { new("parent", real, Fakes(parent)), new("child", real, Fakes(child)), new("twin", real, Fakes(twin)) };
        return (fingerprints, sets);
    }

    [Fact]
    public void The_cross_detection_matrix_is_high_on_the_diagonal_and_between_parent_and_child_only()
    {
        var (fingerprints, sets) = Family();
        var m = CrossDetection.Compute(fingerprints, sets);
        Assert.Equal(["parent", "child", "twin"], m.Fingerprints);
        foreach (var name in m.Fingerprints) Assert.True(m[name, name] > 0.95, $"{name} on itself: {m[name, name]}");
        Assert.True(m["parent", "child"] > 0.8 && m["child", "parent"] > 0.8);
        Assert.True(m["parent", "twin"] < 0.6 && m["twin", "parent"] < 0.6);
    }

    [Fact]
    public void Verdicts_call_parent_and_child_related_and_the_twin_unrelated_with_both_numbers_shown()
    {
        var (fingerprints, sets) = Family();
        var pairs = PairLineage.All(CrossDetection.Compute(fingerprints, sets), CrossDetection.FingerprintCorrelation(fingerprints));
        var parentChild = pairs.Single(p => p is { A: "parent", B: "child" });
        Assert.Equal(Relation.Related, parentChild.Relation);
        Assert.Contains(parentChild.AOnB.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), parentChild.Reason);
        Assert.Contains(parentChild.BOnA.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), parentChild.Reason);
        Assert.Equal(Relation.Unrelated, pairs.Single(p => p is { A: "parent", B: "twin" }).Relation);
        Assert.True(parentChild.FingerprintCorrelation > 0.8);
    }

    [Theory]
    [InlineData(0.95, 0.90, Relation.Related)]
    [InlineData(0.95, 0.55, Relation.OneWay)]
    [InlineData(0.55, 0.92, Relation.OneWay)]
    [InlineData(0.52, 0.60, Relation.Unrelated)]
    [InlineData(0.70, 0.90, Relation.Inconclusive)]
    public void Verdicts_follow_the_thresholds(double aOnB, double bOnA, Relation expected)
        => Assert.Equal(expected, PairLineage.Judge("a", "b", aOnB, bOnA, double.NaN, new LineageOptions()).Relation);

    [Fact]
    public void Thresholds_can_be_moved()
        => Assert.Equal(Relation.Related, PairLineage.Judge("a", "b", 0.72, 0.75, double.NaN, new LineageOptions { DetectsAt = 0.7, MissesBelow = 0.6 }).Relation);

    [Fact]
    public void Thresholds_out_of_order_are_refused()
        => Assert.Throws<ArgumentException>(() => new LineageOptions { DetectsAt = 0.6, MissesBelow = 0.7 }.Validate());

    [Fact]
    public void Attribution_names_the_model_that_made_an_image_and_none_for_real_images()
    {
        var (fingerprints, sets) = Family();
        // Parent and child share most of their pattern; attribute among parent and twin to keep the answer unique.
        var attributor = new Attributor([fingerprints[0], fingerprints[2]]);
        var report = attributor.Evaluate(sets[0].Real, [sets[0], sets[2]]);
        Assert.True(report.Accuracy.All(a => a.Accuracy > 0.9), string.Join(", ", report.Accuracy));
        Assert.True(report.RealNoneRate > 0.9, $"none rate {report.RealNoneRate}");
        var one = attributor.Attribute(sets[2].Fake[0]);
        Assert.Equal("twin", one.Source);
        Assert.Equal("twin", one.Candidates[0].Model);
    }

    [Fact]
    public void An_attribution_library_of_mixed_crop_sizes_is_refused()
    {
        var r = new Random(1);
        var small = Known("a", Noise(r), 0.4);
        var large = new Fingerprint(new float[3 * 32 * 32], 32, 0, 0.4, new ScoreCalibration(1, "training", 2), name: "b");
        Assert.Throws<ArgumentException>(() => new Attributor([small, large]));
    }

    [Fact]
    public void A_report_writes_markdown_json_csv_and_two_heatmaps()
    {
        using var dir = new TestFiles();
        var (fingerprints, sets) = Family();
        var report = LineageReport.Analyse(fingerprints, sets);
        var written = report.Write(dir.Root);
        foreach (var f in written) Assert.True(new FileInfo(Path.Combine(dir.Root, f)).Length > 0, f);
        using (var png = SixLabors.ImageSharp.Image.Load(Path.Combine(dir.Root, "cross-detection.png"))) Assert.True(png.Width > 300);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Root, "lineage.json"))).RootElement;
        Assert.Equal(3, json.GetProperty("balanced_accuracy").GetArrayLength());
        Assert.Equal("Related", json.GetProperty("pairs")[0].GetProperty("relation").GetString());
        Assert.Equal(10, File.ReadAllLines(Path.Combine(dir.Root, "lineage.csv")).Length);
        Assert.Contains("| parent – child | Related |", report.ToMarkdown());
    }

    [Fact]
    public void A_fingerprint_library_folder_loads_fingerprints_named_by_file_and_reports_foreign_files()
    {
        using var dir = new TestFiles();
        var r = new Random(2);
        new Fingerprint(Noise(r), Size, 0, 0.4, new ScoreCalibration(1, "training", 2)).Save(Path.Combine(dir.Root, "sd14.dif.safetensors"));
        Known("named", Noise(r), 0.4).Save(Path.Combine(dir.Root, "other.safetensors"));
        File.WriteAllText(Path.Combine(dir.Root, "junk.safetensors"), "not safetensors");
        var skipped = new List<DifModelFileException>();
        var library = FingerprintLibrary.Load(dir.Root, skipped.Add);
        Assert.Equal(["named", "sd14"], library.Select(f => f.Name));
        Assert.Contains("junk.safetensors", Assert.Single(skipped).Message);
    }
}
