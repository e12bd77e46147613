using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.Interop;
using Dif.Persistence;

namespace Dif.Tests.Interop;

public sealed class CheckpointImportTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "Dif.MLNet.Tests", "Interop", "Fixtures", name);

    /// <summary>The default denoiser's weights as a PyTorch state dict (OrderedDict of tensors, with an
    /// optional key prefix), the way torch.save(model.state_dict()) writes it.</summary>
    private static (PyDict StateDict, float[] Bias, int BiasSize) DefaultDenoiserAsPyTorch(string prefix = "", Func<string, bool>? keep = null)
    {
        using var stream = typeof(Denoiser).Assembly.GetManifestResourceStream("Dif.Models.dncnn-default.safetensors")!;
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        var (tensors, _) = SafeTensors.Read(ms.ToArray(), "default");
        var items = new List<(string, object?)>();
        int key = 0;
        foreach (var (name, t) in tensors.Where(kv => kv.Key != "bias_pattern").OrderBy(kv => NaturalKey(kv.Key)))
        {
            if (keep is not null && !keep(name)) continue;
            Array storage = t.DType == SafeTensorDType.I64 ? t.ToInt64() : t.ToFloats();
            items.Add((prefix + name, new PyTensor((key++).ToString(), storage, 0, t.Shape)));
        }
        var bias = tensors["bias_pattern"];
        return (new PyDict(true, items.ToArray()), bias.ToFloats(), (int)bias.Shape[1]);
    }

    private static (int, string) NaturalKey(string name)
    {
        var parts = name.Split('.');
        return (int.Parse(parts[1]), parts[2]);
    }

    private static float[] ChwToHwc(float[] chw, int size)
    {
        var hwc = new float[chw.Length];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < size * size; p++)
                hwc[p * 3 + c] = chw[c * size * size + p];
        return hwc;
    }

    [Fact]
    public void A_DnCNN_state_dict_and_its_npy_bias_import_to_the_same_denoiser()
    {
        using var dir = new TestFiles();
        // Published layout: the state dict under a prefix (a trainer's state_dict()), F_DnCNN as H×W×3 .npy.
        var (stateDict, bias, size) = DefaultDenoiserAsPyTorch("denoiser.");
        var checkpoint = TorchSaveWriter.SaveFile(dir.PathOf("chk_2000.pt"), new PyDict(false, ("epoch", 2000L), ("G state", stateDict)));
        var npy = dir.Bytes("clean_real.npy", TorchSaveWriter.Npy(ChwToHwc(bias, size), size, size, 3));

        using var original = Denoiser.LoadDefault();
        using var imported = CheckpointImport.ImportDenoiser(checkpoint, npy);
        Assert.Equal(original.Identity, imported.Identity);      // same weights and bias pattern, bit for bit
        var image = ImageLoader.Load(dir.Png("photo.png", 64, 64), new ImageLoadOptions { CropSize = 64 });
        Assert.Equal(original.ExtractResidual(image), imported.ExtractResidual(image));

        var result = CheckpointImport.Convert(checkpoint, dir.PathOf("dncnn.safetensors"), new CheckpointImportOptions { BiasPatternPath = npy });
        Assert.Equal(CheckpointKind.Denoiser, result.Kind);
        using var reloaded = Denoiser.Load(result.OutputPath);
        Assert.Equal(original.Identity, reloaded.Identity);
        Assert.Equal("chk_2000.pt", reloaded.Metadata["imported_from"]);
    }

    [Fact]
    public void A_state_dict_without_num_batches_tracked_imports_and_one_without_a_bias_has_none()
    {
        using var dir = new TestFiles();
        var (stateDict, _, _) = DefaultDenoiserAsPyTorch("module.", name => !name.EndsWith("num_batches_tracked", StringComparison.Ordinal));
        var path = TorchSaveWriter.SaveFile(dir.PathOf("old.pth"), stateDict);
        using var imported = CheckpointImport.ImportDenoiser(path);
        Assert.Null(imported.BiasSize);
        using var original = Denoiser.LoadDefault();
        using var batch = TorchSharp.torch.rand([1, 3, 32, 32]);
        using var a = original.PredictNoise(batch);
        using var b = imported.PredictNoise(batch);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
    }

    [Fact]
    public void A_state_dict_of_another_shape_or_with_extra_layers_is_refused_naming_the_tensor()
    {
        using var dir = new TestFiles();
        var (stateDict, _, _) = DefaultDenoiserAsPyTorch();
        var wrongShape = stateDict with { Items = stateDict.Items.Select(kv => kv.Key == "dncnn.0.weight" ? (kv.Key, (object?)PyTensor.Of("x", new float[32 * 3 * 9], 32, 3, 3, 3)) : kv).ToArray() };
        var e = Assert.Throws<DifModelFileException>(() => CheckpointImport.ImportDenoiser(TorchSaveWriter.SaveFile(dir.PathOf("narrow.pt"), wrongShape)));
        Assert.Contains("'dncnn.0.weight' has shape [32,3,3,3], expected [64,3,3,3]", e.Message);

        var extra = stateDict with { Items = [.. stateDict.Items, ("dncnn.51.weight", PyTensor.Of("y", new float[9], 1, 1, 3, 3))] };
        e = Assert.Throws<DifModelFileException>(() => CheckpointImport.ImportDenoiser(TorchSaveWriter.SaveFile(dir.PathOf("deep.pt"), extra)));
        Assert.Contains("'dncnn.51.weight' is not part of DnCNN-S", e.Message);

        var missing = stateDict with { Items = stateDict.Items.Where(kv => kv.Key != "dncnn.5.weight").ToArray() };
        e = Assert.Throws<DifModelFileException>(() => CheckpointImport.ImportDenoiser(TorchSaveWriter.SaveFile(dir.PathOf("holes.pt"), missing)));
        Assert.Contains("'dncnn.5.weight' is missing", e.Message);
    }

    /// <summary>A published-style fingerprint checkpoint: 'Fingerprint' is out[1:2] of a batch output (a view
    /// at a non-zero offset of a larger storage), the logs are per-batch mean correlations.</summary>
    private static (PyDict Root, float[] Pattern, double[] Real, double[] Fake) PublishedFingerprint(int size, int seed)
    {
        var r = new Random(seed);
        int n = 3 * size * size;
        var batch = Enumerable.Range(0, 2 * n).Select(_ => (float)(r.NextDouble() * 2 - 1) * 0.3f).ToArray();
        var pattern = batch[n..];
        var real = Enumerable.Range(0, 40).Select(i => 0.002 + 0.0001 * i + r.NextDouble() * 1e-4).ToArray();
        var fake = Enumerable.Range(0, 40).Select(i => 0.03 + 0.0005 * i + r.NextDouble() * 1e-4).ToArray();
        var root = new PyDict(false,
            ("Fingerprint", new PyTensor("0", batch, n, [1, 3, size, size])),
            ("Train Real", real), ("Train Fake", fake), ("Loss", new[] { 0.9, 0.5 }));
        return (root, pattern, real, fake);
    }

    [Fact]
    public void A_published_fingerprint_checkpoint_imports_to_the_same_correlations_and_centres()
    {
        using var dir = new TestFiles();
        var (root, pattern, real, fake) = PublishedFingerprint(32, 5);
        Directory.CreateDirectory(dir.PathOf("sd14"));
        var path = TorchSaveWriter.SaveFile(Path.Combine(dir.Root, "sd14", "chk_0.pt"), root);

        var result = CheckpointImport.Convert(path, dir.PathOf("sd14.dif.safetensors"));
        Assert.Equal(CheckpointKind.Fingerprint, result.Kind);
        var fingerprint = Fingerprint.Load(result.OutputPath);
        Assert.Equal(pattern, fingerprint.Pattern);
        Assert.Equal("sd14", fingerprint.Name);                   // MODEL/chk_N.pt: the folder names the model
        Assert.Null(fingerprint.DenoiserIdentity);
        Assert.Equal(real.TakeLast(20).Average(), fingerprint.RealCentre, 15);
        Assert.Equal(fake.TakeLast(20).Average(), fingerprint.FakeCentre, 15);

        var r = new Random(9);
        for (int k = 0; k < 5; k++)
        {
            var residual = Enumerable.Range(0, pattern.Length).Select(i => pattern[i] * 0.05f * k + (float)(r.NextDouble() - 0.5)).ToArray();
            Assert.Equal(Correlation.Pearson(pattern, residual), fingerprint.Correlate(residual));
        }
        Assert.Equal(CheckpointImport.ImportedCalibrationSource, fingerprint.Calibration.Source);
        Assert.Equal(0.9, fingerprint.Calibration.Probability(fingerprint.ScoreOf(fingerprint.FakeCentre)), 12);
        Assert.Equal(0.1, fingerprint.Calibration.Probability(fingerprint.ScoreOf(fingerprint.RealCentre)), 12);
    }

    [Fact]
    public void Detecting_with_an_imported_fingerprint_that_records_no_denoiser_warns_once_per_run()
    {
        using var dir = new TestFiles();
        var fp = dir.PathOf("imported.dif.safetensors");
        var import = Dif.Tests.DifCli.Invoke("import-checkpoint", "--in", Fixture("torch113-fingerprint.pt"), "--out", fp);
        Assert.True(import.ExitCode == 0, import.Errors);
        var photos = Directory.GetFiles(Dif.Tests.RepoPaths.EvaluationPhotos).Order().Take(2).ToArray();
        var run = Dif.Tests.DifCli.Invoke(["detect", "--fingerprint", fp, .. photos]);
        Assert.True(run.ExitCode == 0, run.Errors);
        Assert.Single(run.Errors.Split('\n'), l => l.Contains("records no denoiser"));
        Assert.Contains(Path.GetFileName(photos[1]), run.Output);
    }

    [Fact]
    public void The_genuine_PyTorch_fingerprint_fixture_imports_with_the_published_centre_rule()
    {
        var fingerprint = CheckpointImport.ImportFingerprint(Fixture("torch113-fingerprint.pt"), new CheckpointImportOptions { DenoiserIdentity = "abc" });
        Assert.Equal(16, fingerprint.Size);
        Assert.Equal("torch113-fingerprint", fingerprint.Name);
        Assert.Equal("abc", fingerprint.DenoiserIdentity);
        Assert.Equal(Enumerable.Range(10, 20).Average(i => 0.001 * i), fingerprint.RealCentre, 12);
        Assert.Equal(Enumerable.Range(5, 20).Average(i => 0.002 * i + 0.05), fingerprint.FakeCentre, 12);
    }

    [Fact]
    public void Logs_saved_as_numpy_scalars_or_a_tensor_give_the_same_centres()
    {
        var plain = CheckpointImport.ImportFingerprint(Fixture("torch113-fingerprint.pt"));
        var numpy = CheckpointImport.ImportFingerprint(Fixture("torch113-fingerprint-numpy-logs.pt"));
        Assert.Equal(plain.RealCentre, numpy.RealCentre, 15);
        Assert.Equal(plain.FakeCentre, numpy.FakeCentre, 15);
        Assert.Equal(plain.Pattern, numpy.Pattern);
    }

    [Fact]
    public void Fingerprint_checkpoints_of_the_wrong_shape_or_without_logs_are_refused()
    {
        using var dir = new TestFiles();
        var (root, _, _, _) = PublishedFingerprint(16, 1);
        PyDict With(string key, object? value) => root with { Items = root.Items.Select(kv => kv.Key == key ? (kv.Key, value) : kv).ToArray() };

        var odd = TorchSaveWriter.SaveFile(dir.PathOf("odd.pt"), With("Fingerprint", PyTensor.Of("0", new float[3 * 20 * 20], 1, 3, 20, 20)));
        Assert.Contains("multiple of 16", Assert.Throws<DifModelFileException>(() => CheckpointImport.ImportFingerprint(odd)).Message);
        var gray = TorchSaveWriter.SaveFile(dir.PathOf("gray.pt"), With("Fingerprint", PyTensor.Of("0", new float[16 * 16], 1, 1, 16, 16)));
        Assert.Contains("expected 1×3×S×S", Assert.Throws<DifModelFileException>(() => CheckpointImport.ImportFingerprint(gray)).Message);
        var noLog = TorchSaveWriter.SaveFile(dir.PathOf("nolog.pt"), root with { Items = root.Items.Where(kv => kv.Key != "Train Real").ToArray() });
        var e = Assert.Throws<DifModelFileException>(() => CheckpointImport.ImportFingerprint(noLog));
        Assert.StartsWith(noLog, e.Message);
        Assert.Contains("'Train Real'", e.Message);
        var empty = TorchSaveWriter.SaveFile(dir.PathOf("empty.pt"), With("Train Fake", Array.Empty<double>()));
        Assert.Contains("empty", Assert.Throws<DifModelFileException>(() => CheckpointImport.ImportFingerprint(empty)).Message);
    }

    [Fact]
    public void A_bias_pattern_given_with_a_fingerprint_checkpoint_is_refused_not_ignored()
    {
        using var dir = new TestFiles();
        var (root, _, _, _) = PublishedFingerprint(32, 5);
        var path = TorchSaveWriter.SaveFile(dir.PathOf("chk_0.pt"), root);
        var e = Assert.Throws<DifModelFileException>(() => CheckpointImport.Convert(path, dir.PathOf("fp.dif.safetensors"),
            new CheckpointImportOptions { BiasPatternPath = dir.PathOf("clean_real.npy") }));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("only applies to a denoiser", e.Message);
        Assert.False(File.Exists(dir.PathOf("fp.dif.safetensors")));
    }

    [Fact]
    public void A_checkpoint_that_is_neither_kind_is_refused_with_an_outline_of_what_it_holds()
    {
        using var dir = new TestFiles();
        var path = TorchSaveWriter.SaveFile(dir.PathOf("other.pt"), new PyDict(false, ("encoder.weight", PyTensor.Of("0", new float[6], 2, 3)), ("lr", 0.001)));
        var e = Assert.Throws<DifModelFileException>(() => CheckpointImport.Convert(path, dir.PathOf("out.safetensors")));
        Assert.Contains("neither", e.Message);
        Assert.Contains("encoder.weight: tensor Float32 [2, 3]", e.Message);
        Assert.False(File.Exists(dir.PathOf("out.safetensors")));
    }

    [Fact]
    public void Npy_arrays_read_in_C_and_Fortran_order_and_object_arrays_are_refused()
    {
        using var dir = new TestFiles();
        var c = NpyArray.Parse(TorchSaveWriter.Npy([1, 2, 3, 4, 5, 6], 2, 3), "c.npy");
        Assert.Equal([2L, 3], c.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], c.Values);
        var fortranBytes = TorchSaveWriter.Npy([1, 4, 2, 5, 3, 6], 2, 3);
        var text = System.Text.Encoding.Latin1.GetString(fortranBytes).Replace("'fortran_order': False", "'fortran_order': True ");
        Assert.Equal([1f, 2, 3, 4, 5, 6], NpyArray.Parse(System.Text.Encoding.Latin1.GetBytes(text), "f.npy").Values);
        var objectBytes = System.Text.Encoding.Latin1.GetBytes(System.Text.Encoding.Latin1.GetString(TorchSaveWriter.Npy([1, 2], 2)).Replace("'<f4'", "'|O' "));
        Assert.Contains("pickled Python objects", Assert.Throws<DifModelFileException>(() => NpyArray.Parse(objectBytes, "o.npy")).Message);
        var truncated = TorchSaveWriter.Npy([1, 2, 3, 4], 4)[..^4];
        Assert.Contains("needs 16 bytes", Assert.Throws<DifModelFileException>(() => NpyArray.Parse(truncated, "t.npy")).Message);
    }
}
