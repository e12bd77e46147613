using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Persistence;
using SixLabors.ImageSharp;

namespace Dif.Tests.Imaging;

/// <summary>One `dif fit --harmonise jpeg:90` of JPEG real crops against PNG fakes (crop 64, 2 epochs), run
/// once for the CLI tests of the format warning and of harmonisation at detection.</summary>
public sealed class HarmonisedCliFit : IDisposable
{
    public HarmonisedCliFit()
    {
        (Real, Fake) = PhotoPairs.Write(Files, "cli", PhotoPairs.Jpeg(90), PhotoPairs.Png);
        FingerprintPath = Files.PathOf("cli.dif.safetensors");
        Fit = FormatBiasCliTests.Dif("fit", "--real", Real, "--fake", Fake, "--out", FingerprintPath, "--size", "64", "--epochs", "2", "--min-steps", "0",
                                     "--batch", "8", "--device", "cpu", "--threads", "1", "--harmonise", "jpeg:90");
    }

    public TestFiles Files { get; } = new();
    public string Real { get; }
    public string Fake { get; }
    public string FingerprintPath { get; }
    public DifCli.Run Fit { get; }

    public void Dispose() => Files.Dispose();
}

/// <summary>The format check and harmonisation where they show in the CLI: the real `dif` as a child process.</summary>
public sealed class FormatBiasCliTests(HarmonisedCliFit fit) : IClassFixture<HarmonisedCliFit>
{
    internal static DifCli.Run Dif(params string[] args) => DifCli.Invoke(args);

    private const string Expected = "container: real: 100% JPEG (quality ≈ 90); generated: 100% PNG";

    [Fact]
    public void Dif_fit_prints_the_format_warning_and_records_it_and_the_harmonisation_in_the_fingerprint_file()
    {
        Assert.True(fit.Fit.ExitCode == 0, fit.Fit.Errors);
        Assert.Contains($"warning: {Expected}\n", fit.Fit.Errors.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("warning:", fit.Fit.Output);
        var (_, meta) = SafeTensors.Read(fit.FingerprintPath);
        Assert.Equal("jpeg:90", meta["harmonise"]);
        Assert.Equal([Expected], System.Text.Json.JsonSerializer.Deserialize<string[]>(meta["format_warnings"])!);
        var fingerprint = Fingerprint.Load(fit.FingerprintPath);
        Assert.Equal((Harmonisation.Jpeg(90), 64), (fingerprint.Harmonisation, fingerprint.Size));
        Assert.Equal([Expected], fingerprint.FormatWarnings);
    }

    [Fact]
    public void Dif_detect_applies_the_fingerprints_harmonisation_and_refuses_another()
    {
        Assert.True(fit.Fit.ExitCode == 0, fit.Fit.Errors);
        var png = ImageFiles.In(fit.Fake).First();
        // The same fingerprint without its harmonisation, scoring pixels harmonised beforehand (a 64×64 PNG: its crop is itself).
        var plainFingerprint = fit.Files.PathOf("plain.dif.safetensors");
        Fingerprint.Load(fit.FingerprintPath).WithHarmonisation(null).Save(plainFingerprint);
        var preHarmonised = Harmonisation.Jpeg(90).Apply(ImageLoader.Load(png, new ImageLoadOptions { CropSize = 64 }));
        var prePath = fit.Files.PathOf("pre-harmonised.png");
        using (var image = ImageConversions.FromChw(preHarmonised.Pixels, 64, 64)) image.Save(prePath, PhotoPairs.Png);

        var automatic = Dif("detect", "--fingerprint", fit.FingerprintPath, "--device", "cpu", png);
        var manual = Dif("detect", "--fingerprint", plainFingerprint, "--device", "cpu", prePath);
        Assert.True(automatic.ExitCode == 0, automatic.Errors);
        Assert.True(manual.ExitCode == 0, manual.Errors);
        Assert.Contains("harmonised as jpeg:90", automatic.Errors);
        static string Numbers(string output) => output.ReplaceLineEndings("\n").Split('\n')[1][..40]; // verdict, P, score, correlation
        Assert.Equal(Numbers(manual.Output), Numbers(automatic.Output));

        var conflict = Dif("detect", "--fingerprint", fit.FingerprintPath, "--harmonise", "jpeg:80", "--device", "cpu", png);
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("harmonised as jpeg:90, not jpeg:80", conflict.Errors);
        Assert.Equal("", conflict.Output);
    }
}
