using Dif.Denoising;
using Dif.Imaging;
using Dif.Persistence;
using TorchSharp;

namespace Dif.Tests.Denoising;

public sealed class DenoiserTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    /// <summary>An untrained denoiser whose BatchNorm running statistics and affine parameters are
    /// randomised (a fresh BN is nearly the identity, which would hide mistakes).</summary>
    internal static Denoiser RandomDenoiser(int seed = 7)
    {
        var d = Denoiser.CreateUntrained(seed, "cpu");
        using var _ = torch.no_grad();
        using var half = Dif.Training.Scalars.Of(0.5);
        using var tenth = Dif.Training.Scalars.Of(0.1);
        foreach (var (name, t) in d.Network.state_dict())
        {
            using var scope = torch.NewDisposeScope();
            if (name.EndsWith("running_var")) t.copy_(torch.rand(t.shape).add_(half));
            else if (name.EndsWith("running_mean") || name.EndsWith(".bias")) t.copy_(torch.randn(t.shape).mul_(tenth));
            else if (name.EndsWith(".weight") && t.dim() == 1) t.copy_(torch.rand(t.shape).add_(half));
        }
        return d;
    }

    private static float[] Pixels(int size, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, 3 * size * size).Select(_ => (float)r.NextDouble()).ToArray();
    }

    [Fact]
    public void Forward_pass_matches_an_independent_implementation_including_padding_and_crop()
    {
        using var d = RandomDenoiser();
        int s = 4, p = DnCnnArchitecture.Padding;
        var px = Pixels(s, 1);
        using var input = torch.tensor(px, [1, 3, s, s]);
        using var noise = d.PredictNoise(input);
        var actual = noise.data<float>().ToArray();

        // Reference: zero-pad by 10 on every side, run the hand-written net, crop the 10 px back off.
        var padded = new double[3, s + 2 * p, s + 2 * p];
        for (int c = 0; c < 3; c++) for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) padded[c, y + p, x + p] = px[(c * s + y) * s + x];
        var weights = ModuleWeights.Export(d.Network);
        var full = DnCnnReference.Forward(weights, padded);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                    Assert.Equal(full[c, y + p, x + p], actual[(c * s + y) * s + x], 3);
        Assert.Contains(actual, v => Math.Abs(v) > 1e-3); // not trivially zero
    }

    [Fact]
    public void Padding_changes_the_border_compared_with_an_unpadded_pass()
    {
        using var d = RandomDenoiser();
        using var input = torch.tensor(Pixels(16, 2), [1, 3, 16, 16]);
        using var padded = d.PredictNoise(input);
        using var _ = torch.no_grad();
        using var bare = d.Network.forward(input);
        Assert.False(padded.allclose(bare, 1e-4, 1e-5));
    }

    [Fact]
    public void Bias_pattern_is_subtracted_when_sizes_match_and_not_otherwise()
    {
        using var d = RandomDenoiser();
        var clean = Enumerable.Range(0, 3).Select(i => new PreparedImage($"c{i}", 32, 32, 32, Pixels(32, 10 + i))).ToList();
        d.ComputeBiasPattern(clean);
        Assert.Equal(32, d.BiasSize);

        var img = new PreparedImage("x", 32, 32, 32, Pixels(32, 3));
        using var t = torch.tensor(img.Pixels, [1, 3, 32, 32]);
        using var raw = d.PredictNoise(t);
        var residual = d.ExtractResidual(img);
        // F_DnCNN = mean raw prediction over the clean images.
        var bias = new float[3 * 32 * 32];
        foreach (var c in clean)
        {
            using var ct = torch.tensor(c.Pixels, [1, 3, 32, 32]);
            using var n = d.PredictNoise(ct);
            var v = n.data<float>().ToArray();
            for (int i = 0; i < v.Length; i++) bias[i] += v[i] / clean.Count;
        }
        var rawValues = raw.data<float>().ToArray();
        for (int i = 0; i < residual.Length; i += 97) Assert.Equal(rawValues[i] - bias[i], residual[i], 4);

        var other = new PreparedImage("y", 16, 16, 16, Pixels(16, 4));
        using var ot = torch.tensor(other.Pixels, [1, 3, 16, 16]);
        using var otherRaw = d.PredictNoise(ot);
        Assert.Equal(otherRaw.data<float>().ToArray(), d.ExtractResidual(other));
    }

    [Fact]
    public void Batched_residuals_equal_one_by_one_residuals()
    {
        using var d = RandomDenoiser();
        var images = Enumerable.Range(0, 3).Select(i => new PreparedImage($"i{i}", 16, 16, 16, Pixels(16, 20 + i))).ToList();
        var batch = d.ExtractResiduals(images);
        for (int i = 0; i < images.Count; i++)
        {
            var single = d.ExtractResidual(images[i]);
            for (int k = 0; k < single.Length; k += 31) Assert.Equal(single[k], batch[i][k], 4);
        }
    }

    [Fact]
    public void Weights_file_round_trips_with_identity_and_outputs()
    {
        using var d = RandomDenoiser();
        d.ComputeBiasPattern([new PreparedImage("c", 16, 16, 16, Pixels(16, 5))]);
        d.SetMetadata("training", "{\"note\":\"test\"}");
        var path = files.PathOf("d.safetensors");
        d.Save(path);
        using var loaded = Denoiser.Load(path, "cpu");
        Assert.Equal(d.Identity, loaded.Identity);
        Assert.Equal(16, loaded.BiasSize);
        Assert.Equal("{\"note\":\"test\"}", loaded.Metadata["training"]);
        var img = new PreparedImage("x", 16, 16, 16, Pixels(16, 6));
        Assert.Equal(d.ExtractResidual(img), loaded.ExtractResidual(img));
    }

    [Fact]
    public void Altered_weights_are_refused_by_the_content_hash()
    {
        using var d = RandomDenoiser();
        var path = files.PathOf("d.safetensors");
        d.Save(path);
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x40; // flip a bit inside the last tensor's data
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DifModelFileException>(() => Denoiser.Load(path, "cpu"));
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public void Truncated_weights_file_is_refused_naming_the_file()
    {
        using var d = RandomDenoiser();
        var path = files.PathOf("d.safetensors");
        d.Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DifModelFileException>(() => Denoiser.Load(path, "cpu"));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Safetensors_file_of_another_kind_is_refused()
    {
        var path = files.PathOf("foreign.safetensors");
        SafeTensors.Write(path, new Dictionary<string, SafeTensor> { ["x"] = SafeTensor.FromFloats([1f], 1) },
            new Dictionary<string, string> { ["format"] = "pt" });
        var e = Assert.Throws<DifModelFileException>(() => Denoiser.Load(path, "cpu"));
        Assert.Contains("not a Dif denoiser", e.Message);
    }

    /// <summary>Saves a random denoiser, lets <paramref name="edit"/> change its tensors and metadata
    /// (the content hash is dropped, as a careless converter would), and returns the load error.</summary>
    private DifModelFileException LoadError(Action<Dictionary<string, SafeTensor>, Dictionary<string, string>> edit)
    {
        using var d = RandomDenoiser();
        var path = files.PathOf("edited.safetensors");
        d.Save(path);
        var (tensors, meta) = SafeTensors.Read(path);
        meta.Remove("content_sha256");
        edit(tensors, meta);
        SafeTensors.Write(path, tensors, meta);
        return Assert.Throws<DifModelFileException>(() => Denoiser.Load(path, "cpu"));
    }

    [Fact]
    public void Unknown_format_version_is_refused()
        => Assert.Contains("version", LoadError((_, meta) => meta["format_version"] = "99").Message);

    [Fact]
    public void Missing_tensor_is_refused_by_name()
        => Assert.Contains("dncnn.5.weight", LoadError((tensors, _) => tensors.Remove("dncnn.5.weight")).Message);

    [Fact]
    public void Nan_weights_are_refused()
        => Assert.Contains("non-finite", LoadError((tensors, _) =>
        {
            var w = tensors["dncnn.0.weight"].ToFloats();
            w[3] = float.NaN;
            tensors["dncnn.0.weight"] = SafeTensor.FromFloats(w, tensors["dncnn.0.weight"].Shape);
        }).Message);

    [Fact]
    public void Wrong_tensor_shape_is_refused()
        => Assert.Contains("shape", LoadError((tensors, _) => tensors["dncnn.0.weight"] = SafeTensor.FromFloats(new float[64 * 3 * 9], 64, 3, 9)).Message);

    [Fact]
    public void Training_gradients_do_not_depend_on_what_freed_memory_held()
    {
        // Guards the work-around in DnCnn.forward: libtorch's CPU backward of a 3×3 conv with 3 output
        // channels reads uninitialised memory, so NaN left in freed buffers used to leak into gradients.
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            torch.manual_seed(3);
            using var net = new DnCnn();
            net.train();
            using var x = torch.rand([4, 3, 16, 16]);
            using var target = torch.randn([4, 3, 16, 16]);
            float[] Gradients()
            {
                using var scope = torch.NewDisposeScope();
                net.zero_grad();
                (net.forward(x) - target).square().sum().backward();
                return torch.cat(net.parameters().Select(p => p.grad!.flatten()).ToList()).data<float>().ToArray();
            }
            var reference = Gradients();
            Assert.All(reference, g => Assert.True(float.IsFinite(g)));
            var random = new Random(1);
            for (int round = 0; round < 8; round++)
            {
                for (int k = 0; k < 20; k++) { using var junk = torch.full([random.Next(1000, 300000)], float.NaN); }
                Assert.Equal(reference, Gradients());
            }
        }
        finally { torch.set_num_threads(threads); }
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void Asking_for_absent_cuda_is_a_clear_error(string device)
    {
        if (torch.cuda.is_available()) return; // only meaningful where CUDA is absent, as on CI
        var e = Assert.Throws<DifDeviceException>(() => Dif.Devices.DeviceSpec.Resolve(device));
        Assert.Contains("CUDA is not available", e.Message);
        Assert.Equal(device, e.Device);
    }

    [Fact]
    public void Unknown_device_name_is_a_clear_error()
        => Assert.Contains("not valid", Assert.Throws<DifDeviceException>(() => Dif.Devices.DeviceSpec.Resolve("tpu")).Message);
}
