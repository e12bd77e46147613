using Dif.Denoising;
using Dif.Imaging;
using Dif.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dif.Tests.Reliability;

/// <summary>The matrix files, written once for the class, and the bundled default denoiser.</summary>
public sealed class BadImageFolder : IDisposable
{
    private readonly TestFiles files = new();

    public BadImageFolder()
    {
        Cases = BadImages.Write(Path.Combine(files.Root, "matrix")).ToDictionary(c => c.Name);
        Denoiser = Denoiser.LoadDefault("cpu");
    }

    public IReadOnlyDictionary<string, BadImageCase> Cases { get; }
    public Denoiser Denoiser { get; }
    public string Root => files.Root;

    public void Dispose()
    {
        Denoiser.Dispose();
        files.Dispose();
    }
}

/// <summary>Issue 8's bad-input matrix through the C# API and the ML.NET transformer: every case gives the
/// right pixels or a <see cref="DifImageException"/> that names the file and says why; a batch goes on past
/// the bad ones and says how many failed. The PowerShell side is tests/Dif.PowerShell.Tests/Reliability.Tests.ps1.</summary>
public sealed class BadImageMatrixTests(BadImageFolder folder) : IClassFixture<BadImageFolder>
{
    private static readonly ImageLoadOptions Options = new() { CropSize = BadImages.Crop };

    public static TheoryData<string> Decodable => new(BadImages.Names.Where(n => !IsRefused(n)));
    public static TheoryData<string> Refused => new(BadImages.Names.Where(IsRefused));

    // The names alone decide the split, so the theories enumerate without writing files.
    private static bool IsRefused(string name) => Array.IndexOf(BadImages.Names, name) >= Array.IndexOf(BadImages.Names, "zero-byte");

    [Fact]
    public void The_case_table_and_its_names_agree()
        => Assert.Equal(BadImages.Names, folder.Cases.Values.Select(c => c.Name).ToArray());

    [Theory]
    [MemberData(nameof(Decodable))]
    public void Api_decodes_the_case_to_the_reference_pixels(string name)
    {
        var c = folder.Cases[name];
        Assert.False(c.Refused);
        var image = ImageLoader.Load(c.Path, Options);
        Assert.Equal(3 * 32 * 32, image.Pixels.Length);
        if (c.SameAs is not null) Assert.Equal(ImageLoader.Load(c.SameAs, Options).Pixels, image.Pixels);
    }

    [Fact]
    public void Api_turns_an_exif_rotated_jpeg_upright_before_cropping()
    {
        var image = ImageLoader.Load(folder.Cases["jpeg-exif-rotated"].Path, Options);
        Assert.Equal((48, 40), (image.OriginalWidth, image.OriginalHeight)); // stored 40×48, shown 48×40
    }

    [Fact]
    public void Api_reads_the_first_frame_of_an_animation_and_not_a_later_one()
    {
        // The three frames differ only in colour; the reference is frame 1 (red blocks).
        foreach (var name in new[] { "gif-animated-first-frame", "webp-animated-first-frame" })
        {
            var px = ImageLoader.Load(folder.Cases[name].Path, Options).Pixels;
            Assert.Contains(px.Take(32 * 32), v => Math.Abs(v - 200 / 255f) < 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Api_refuses_the_case_naming_the_file_and_the_reason(string name)
    {
        var c = folder.Cases[name];
        Assert.True(c.Refused);
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(c.Path, Options));
        Assert.Equal(c.Path, e.FilePath);
        Assert.StartsWith(c.Path, e.Message);
        Assert.Contains(c.Refusal!, e.Message);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Api_refuses_the_case_held_in_memory_naming_the_source(string name)
    {
        var c = folder.Cases[name];
        if (!File.Exists(c.Path)) return; // folders and missing paths have no bytes
        var e = Assert.Throws<DifImageException>(() => ImageLoader.Load(File.ReadAllBytes(c.Path), "upload-7", Options));
        Assert.StartsWith("upload-7", e.Message);
        Assert.Contains(c.Refusal!, e.Message);
    }

    [Fact]
    public void Api_refuses_a_decompression_bomb_without_allocating_its_pixels()
    {
        foreach (var name in new[] { "png-huge-dimensions", "jpeg-huge-dimensions", "webp-animated-huge-canvas" })
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            Assert.Throws<DifImageException>(() => ImageLoader.Load(folder.Cases[name].Path, Options));
            // The files are a few kilobytes; their pixels would take gigabytes.
            Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 50_000_000, name);
        }
    }

    [Fact]
    public void Api_batch_goes_on_past_every_bad_case_and_reports_each_one()
    {
        var all = folder.Cases.Values.ToList();
        var skipped = new List<DifImageException>();
        var residuals = ResidualExtraction.FromFiles(folder.Denoiser, all.Select(c => c.Path), Options, skipped.Add, batchSize: 4);
        Assert.Equal(all.Where(c => !c.Refused).Select(c => c.Path), residuals.Select(r => r.Path));
        Assert.Equal(all.Where(c => c.Refused).Select(c => c.Path), skipped.Select(e => e.FilePath));
        Assert.All(residuals, r => Assert.All(r.Residual, v => Assert.True(float.IsFinite(v))));
    }

    private sealed class NamedBytesRow
    {
        public string Name { get; set; } = "";
        [VectorType]
        public byte[] Image { get; set; } = [];
    }

    private ResidualExtractorOptions MLOptions(string input, string? nameColumn = null) => new()
    {
        InputColumnName = input, SourceNameColumnName = nameColumn, Image = new ImageLoadOptions { CropSize = BadImages.Crop }, Denoiser = folder.Denoiser,
    };

    private float[] ResidualOf(string path) => folder.Denoiser.ExtractResidual(ImageLoader.Load(path, Options));

    [Theory]
    [MemberData(nameof(Decodable))]
    public void MLNet_transformer_gives_the_reference_residual_for_the_case(string name)
    {
        var c = folder.Cases[name];
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable([new PathRow { Path = c.Path }]);
        var output = ml.Transforms.ExtractDifResidual(MLOptions("Path")).Fit(data).Transform(data);
        var row = Assert.Single(ml.Data.CreateEnumerable<ResidualRow>(output, reuseRowObject: false));
        Assert.Equal(ResidualOf(c.SameAs ?? c.Path), row.Residual);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void MLNet_transformer_refuses_the_case_naming_the_file_when_the_row_is_read(string name)
    {
        var c = folder.Cases[name];
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable([new PathRow { Path = c.Path }]);
        var output = ml.Transforms.ExtractDifResidual(MLOptions("Path")).Fit(data).Transform(data);
        var e = Assert.Throws<DifImageException>(() => ml.Data.CreateEnumerable<ResidualRow>(output, reuseRowObject: false).ToList());
        Assert.StartsWith(c.Path, e.Message);
        Assert.Contains(c.Refusal!, e.Message);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void MLNet_raw_bytes_input_refuses_the_case_naming_the_source_column(string name)
    {
        var c = folder.Cases[name];
        if (!File.Exists(c.Path)) return; // folders and missing paths have no bytes
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable([new NamedBytesRow { Name = c.Path, Image = File.ReadAllBytes(c.Path) }]);
        var output = ml.Transforms.ExtractDifResidual(MLOptions("Image", nameColumn: "Name")).Fit(data).Transform(data);
        var e = Assert.Throws<DifImageException>(() => ml.Data.CreateEnumerable<ResidualRow>(output, reuseRowObject: false).ToList());
        Assert.StartsWith(c.Path, e.Message);
        Assert.Contains(c.Refusal!, e.Message);
    }
}
