using Dif.Fingerprinting;
using Dif.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using TorchSharp.Modules;

namespace Dif.Tests.Fingerprinting;

public sealed class FingerprintArchitectureTests
{
    [Theory]
    [InlineData(FingerprintArchitecture.UNet)]
    [InlineData(FingerprintArchitecture.CNet)]
    [InlineData(FingerprintArchitecture.DNet)]
    [InlineData(FingerprintArchitecture.U1Net)]
    public void Every_architecture_maps_its_noise_input_to_a_3_channel_SxS_fingerprint_in_tanh_range(FingerprintArchitecture architecture)
    {
        using var net = FingerprintNetworks.Create(architecture);
        using var _ = torch.no_grad();
        using var z = torch.rand(FingerprintNetworks.InputShape(architecture, 32));
        using var f = net.forward(z);
        Assert.Equal([1L, 3, 32, 32], f.shape);
        Assert.True(f.abs().max().item<float>() < 1f);
    }

    [Fact]
    public void The_variants_differ_from_the_UNet_only_where_Table_C_says()
    {
        static List<long[]> Kernels(torch.nn.Module m) => m.modules().OfType<Conv2d>().Select(c => c.weight!.shape[2..]).ToList();
        static int TransposedConvs(torch.nn.Module m) => m.modules().OfType<ConvTranspose2d>().Count();

        using var c = FingerprintNetworks.Create(FingerprintArchitecture.CNet);
        Assert.Equal(0, TransposedConvs(c));                                   // no up-sampling (and its forward has no pooling)
        Assert.Equal(2 * FingerprintCNet.Blocks, Kernels(c).Count(k => k.SequenceEqual(new long[] { 3, 3 })));

        using var d = FingerprintNetworks.Create(FingerprintArchitecture.DNet);
        Assert.Equal(4, TransposedConvs(d));                                   // the U-Net's four up-samplings
        Assert.Equal([1L, 16, 2, 2], FingerprintNetworks.InputShape(FingerprintArchitecture.DNet, 32));

        using var u1 = FingerprintNetworks.Create(FingerprintArchitecture.U1Net);
        Assert.Equal(4, TransposedConvs(u1));
        Assert.All(Kernels(u1), k => Assert.Equal([1L, 1], k));               // 1×1 everywhere: no boundary artifacts
        using var u = FingerprintNetworks.Create(FingerprintArchitecture.UNet);
        Assert.Equal(Kernels(u).Count, Kernels(u1).Count);
    }

    [Fact]
    public void The_default_architecture_is_the_unchanged_UNet_weight_for_weight()
    {
        torch.manual_seed(11);
        using var a = new FingerprintUNet();
        torch.manual_seed(11);
        using var b = FingerprintNetworks.Create(FingerprintArchitecture.UNet);
        var pa = a.state_dict();
        var pb = b.state_dict();
        Assert.Equal(pa.Keys, pb.Keys);
        foreach (var k in pa.Keys) Assert.Equal(pa[k].data<float>().ToArray(), pb[k].data<float>().ToArray());
    }

    [Theory]
    [InlineData("U-Net", FingerprintArchitecture.UNet)]
    [InlineData("cnet", FingerprintArchitecture.CNet)]
    [InlineData("D-NET", FingerprintArchitecture.DNet)]
    [InlineData("u1-net", FingerprintArchitecture.U1Net)]
    public void Architecture_names_parse_as_Table_C_spells_them(string text, FingerprintArchitecture expected)
    {
        Assert.Equal(expected, FingerprintNetworks.Parse(text));
        Assert.Throws<ArgumentException>(() => FingerprintNetworks.Parse("resnet"));
    }

    [Theory]
    [InlineData(FingerprintArchitecture.CNet)]
    [InlineData(FingerprintArchitecture.DNet)]
    [InlineData(FingerprintArchitecture.U1Net)]
    public void A_fingerprint_fits_with_each_variant_and_the_harness_names_it(FingerprintArchitecture architecture)
    {
        var r = new Random(4);
        float[] Residual(float shift) => Enumerable.Range(0, 3 * 32 * 32).Select(i => (float)(r.NextDouble() - 0.5) + shift * ((i % 4) - 1.5f)).ToArray();
        var real = Enumerable.Range(0, 6).Select(_ => Residual(0)).ToList();
        var fake = Enumerable.Range(0, 6).Select(_ => Residual(0.3f)).ToList();
        var options = new FingerprintFitOptions { Epochs = 2, MinSteps = 0, BatchSize = 8, CalibrationFraction = 0, Architecture = architecture };
        var detector = new DifFingerprintDetector(options);
        detector.Fit(real, fake);
        var fingerprint = detector.Fingerprint!;
        Assert.Equal(32, fingerprint.Size);
        Assert.True(double.IsFinite(fingerprint.RealCentre) && double.IsFinite(fingerprint.FakeCentre));
        Assert.Contains(FingerprintNetworks.DisplayName(architecture), detector.Name);
    }

    [Fact]
    public void The_gray_image_experiment_writes_output_deviation_and_spectrum_pictures_and_approaches_gray()
    {
        using var dir = new TestFiles();
        var options = new GrayImageExperimentOptions { Size = 16, Epochs = 6, SnapshotEpochs = [1, 6], LearningRate = 1e-2, Architecture = FingerprintArchitecture.CNet };   // C-Net: the cheapest network, same machinery
        var snapshots = GrayImageExperiment.Run(options, dir.Root);
        Assert.Equal([1, 6], snapshots.Select(s => s.Epoch));
        Assert.True(snapshots[1].RmsDeviation < snapshots[0].RmsDeviation);
        foreach (var name in new[] { "epoch-0001-output.png", "epoch-0001-deviation.png", "epoch-0001-spectrum.png", "epoch-0006-spectrum.png" })
            Assert.True(File.Exists(dir.PathOf(name)), name);
        using var montage = Image.Load<Rgb24>(dir.PathOf("montage.png"));
        Assert.Equal((2 * 128 + 4, 2 * 128 + 4), (montage.Width, montage.Height));   // 16 px enlarged 8×
        Assert.Equal([100, 200, 300], new GrayImageExperimentOptions { Epochs = 300 }.Snapshots());
    }

    [Fact]
    public void Pattern_pictures_span_black_to_white_and_the_mean_residual_is_the_mean()
    {
        using var dir = new TestFiles();
        var a = Enumerable.Range(0, 3 * 16 * 16).Select(i => (float)Math.Sin(i)).ToArray();
        var b = a.Select(v => -3 * v).ToArray();
        var mean = PatternImages.WriteMeanResidual([a, b], 16, dir.PathOf("p.png"), dir.PathOf("s.png"));
        for (int i = 0; i < a.Length; i++) Assert.Equal(-a[i], mean[i], 1e-6f);
        using var picture = Image.Load<Rgb24>(dir.PathOf("p.png"));
        var bytes = new List<byte>();
        picture.ProcessPixelRows(rows => { for (int y = 0; y < rows.Height; y++) foreach (var p in rows.GetRowSpan(y)) bytes.Add(p.R); });
        Assert.Equal((byte)0, bytes.Min());
        Assert.Equal((byte)255, bytes.Max());
        Assert.True(File.Exists(dir.PathOf("s.png")));
    }
}
