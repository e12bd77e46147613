using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Persistence;

namespace Dif.Tests.Fingerprinting;

public sealed class FingerprintFileTests
{
    private static Fingerprint Sample(string? denoiser = "abc123")
    {
        var r = new Random(3);
        var pattern = Enumerable.Range(0, 3 * 16 * 16).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
        return new Fingerprint(pattern, 16, 0.0123, 0.0456, new ScoreCalibration(250.5, ScoreCalibration.HeldOut, 40), denoiser,
            new FingerprintSummary(100, 60, 61, 7, false, 0.25, 0.011, 0.047), "tconv");
    }

    [Fact]
    public void A_saved_fingerprint_loads_back_identical()
    {
        using var dir = new TestFiles();
        var path = dir.PathOf("model.dif.safetensors");
        var original = Sample();
        original.Save(path);
        var loaded = Fingerprint.Load(path);
        Assert.Equal(original.Pattern, loaded.Pattern);
        Assert.Equal((original.Size, original.RealCentre, original.FakeCentre), (loaded.Size, loaded.RealCentre, loaded.FakeCentre));
        Assert.Equal(original.Calibration, loaded.Calibration);
        Assert.Equal((original.DenoiserIdentity, original.Name, original.Summary), (loaded.DenoiserIdentity, loaded.Name, loaded.Summary));
        var residual = original.Pattern.Select((x, i) => x + (i % 7) * 0.01f).ToArray();
        Assert.Equal(original.Detect(residual), loaded.Detect(residual));
    }

    [Fact]
    public void A_fingerprint_file_is_safetensors_with_its_facts_in_the_header()
    {
        using var dir = new TestFiles();
        var path = dir.PathOf("f.safetensors");
        Sample().Save(path);
        var (tensors, meta) = SafeTensors.Read(path);
        Assert.Equal([3L, 16, 16], tensors["fingerprint"].Shape);
        Assert.Equal("dif-fingerprint", meta["format"]);
        Assert.Equal("abc123", meta["denoiser_identity"]);
        Assert.Equal("16", meta["crop_size"]);
    }

    [Fact]
    public void An_altered_centre_is_refused_with_the_file_named()
    {
        using var dir = new TestFiles();
        var path = dir.PathOf("f.safetensors");
        Sample().Save(path);
        var (tensors, meta) = SafeTensors.Read(path);
        meta["fake_centre"] = "0.9";
        SafeTensors.Write(path, tensors, meta);
        var e = Assert.Throws<DifModelFileException>(() => Fingerprint.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public void A_truncated_file_is_refused_with_the_file_named()
    {
        using var dir = new TestFiles();
        var path = dir.PathOf("f.safetensors");
        Sample().Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.StartsWith(path, Assert.Throws<DifModelFileException>(() => Fingerprint.Load(path)).Message);
    }

    [Fact]
    public void A_denoiser_file_is_not_taken_for_a_fingerprint()
    {
        using var dir = new TestFiles();
        var path = dir.PathOf("d.safetensors");
        using (var d = Denoiser.CreateUntrained(device: "cpu")) d.Save(path);
        Assert.Contains("not a Dif fingerprint", Assert.Throws<DifModelFileException>(() => Fingerprint.Load(path)).Message);
    }

    [Fact]
    public void Scoring_with_another_denoiser_is_refused_unless_forced()
    {
        using var denoiser = Denoiser.CreateUntrained(device: "cpu");
        var fingerprint = Sample(denoiser: "0000aaaa0000bbbb");
        var e = Assert.Throws<DifDenoiserMismatchException>(() => fingerprint.EnsureDenoiser(denoiser));
        Assert.Contains("0000aaaa0000", e.Message);
        fingerprint.EnsureDenoiser(denoiser, force: true);
        Sample(denoiser: denoiser.Identity).EnsureDenoiser(denoiser);
    }

    [Fact]
    public void Residuals_of_another_crop_size_are_a_clear_error()
        => Assert.Contains("crop size 16", Assert.Throws<DifException>(() => Sample().Score(new float[3 * 32 * 32])).Message);

    [Fact]
    public void Harmonisation_and_format_warnings_are_recorded_covered_by_the_hash_and_optional()
    {
        using var dir = new TestFiles();
        var path = dir.PathOf("h.safetensors");
        const string warning = "container: real: 100% JPEG (quality ≈ 90); generated: 100% PNG";
        Sample().WithHarmonisation(Harmonisation.Jpeg(90)).WithFormatWarnings([warning]).WithName("renamed").Save(path);
        var (tensors, meta) = SafeTensors.Read(path);
        Assert.Equal("jpeg:90", meta["harmonise"]);
        Assert.Equal([warning], System.Text.Json.JsonSerializer.Deserialize<string[]>(meta["format_warnings"])!);
        var loaded = Fingerprint.Load(path);
        Assert.Equal((Harmonisation.Jpeg(90), "renamed"), (loaded.Harmonisation, loaded.Name));
        Assert.Equal([warning], loaded.FormatWarnings);

        // content_sha256 covers both entries.
        foreach (var (key, value) in new[] { ("harmonise", "jpeg:80"), ("format_warnings", "[]") })
        {
            var edited = new Dictionary<string, string>(meta) { [key] = value };
            SafeTensors.Write(path, tensors, edited);
            Assert.Contains("SHA-256", Assert.Throws<DifModelFileException>(() => Fingerprint.Load(path)).Message);
        }

        // A file without them (as older versions wrote, or a fit without harmonisation or check) loads with none.
        var older = new Dictionary<string, string>(meta);
        older.Remove("harmonise");
        older.Remove("format_warnings");
        older["content_sha256"] = FingerprintFile.Hash(tensors, older);
        SafeTensors.Write(path, tensors, older);
        var old = Fingerprint.Load(path);
        Assert.Null(old.Harmonisation);
        Assert.Null(old.FormatWarnings);
        Sample().Save(path);
        Assert.False(SafeTensors.Read(path).Metadata.ContainsKey("harmonise"));

        // A checked set with no difference is recorded as such: [] is not "not checked".
        Sample().WithFormatWarnings([]).Save(path);
        Assert.Equal([], Fingerprint.Load(path).FormatWarnings!);
    }
}
