using System.Text;
using Dif.Interop;

namespace Dif.Tests.Interop;

public sealed class TorchCheckpointTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "Dif.MLNet.Tests", "Interop", "Fixtures", name);

    private const string Marker = "/tmp/dif-fixture-was-executed";

    // ---- genuine PyTorch files (written by Fixtures/make_fixtures.py with PyTorch 1.13)

    [Theory]
    [InlineData("torch113-fingerprint.pt")]
    [InlineData("torch113-fingerprint-protocol4.pt")]
    public void A_genuine_PyTorch_fingerprint_checkpoint_reads_as_saved(string file)
    {
        var checkpoint = TorchCheckpoint.Load(Fixture(file));
        var root = Assert.IsType<PickleDict>(checkpoint.Root);
        Assert.True(root.TryGetValue("Fingerprint", out var f));
        var tensor = Assert.IsType<TorchTensor>(f);
        Assert.Equal([1L, 3, 16, 16], tensor.Shape);
        // A view out[0:1] of a 2×3×16×16 batch: its storage holds both.
        Assert.Equal(2 * 3 * 16 * 16, tensor.Storage.Elements);
        var values = tensor.ToFloats();
        for (int i = 0; i < values.Length; i++) Assert.Equal(i / 1000f - 0.5f, values[i]);
        Assert.True(root.TryGetValue("Train Real", out var real));
        var list = Assert.IsType<List<object?>>(real);
        Assert.Equal(30, list.Count);
        Assert.Equal(0.029, (double)list[^1]!, 12);
    }

    [Fact]
    public void A_genuine_PyTorch_state_dict_reads_with_its_types_views_and_metadata()
    {
        var checkpoint = TorchCheckpoint.Load(Fixture("torch113-state-dict.pt"));
        var root = Assert.IsType<PickleDict>(checkpoint.Root);
        Assert.True(root.Ordered);
        Assert.NotNull(root.Attributes);                        // _metadata, set by BUILD
        Assert.Equal(["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "transposed", "half"], root.StringKeys);
        var tensors = checkpoint.Tensors().ToDictionary(t => t.Path, t => t.Tensor);
        Assert.Equal(Enumerable.Range(0, 108).Select(i => i / 100f), tensors["0.weight"].ToFloats());
        Assert.Equal([1f, 2, 3, 4], tensors["1.running_mean"].ToFloats());
        Assert.Equal([7L], tensors["1.num_batches_tracked"].ToInt64());
        Assert.Equal(TorchDType.Int64, tensors["1.num_batches_tracked"].DType);
        Assert.Empty(tensors["1.num_batches_tracked"].Shape);
        Assert.False(tensors["transposed"].IsContiguous);
        Assert.Equal([0f, 3, 1, 4, 2, 5], tensors["transposed"].ToFloats());
        Assert.Equal([0.5f, -2f, 65504f], tensors["half"].ToFloats());
    }

    [Fact]
    public void A_genuine_hostile_checkpoint_calling_os_system_is_refused_and_nothing_runs()
    {
        File.Delete(Marker);
        var path = Fixture("torch113-hostile.pt");
        var e = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("'posix.system'", e.Message);
        Assert.Contains("Nothing in the file was run", e.Message);
        Assert.False(File.Exists(Marker));
    }

    // ---- hostile pickles written here

    [Theory]
    [InlineData("os", "system", false)]
    [InlineData("posix", "system", false)]
    [InlineData("nt", "system", false)]
    [InlineData("builtins", "eval", false)]
    [InlineData("builtins", "exec", true)]
    [InlineData("subprocess", "Popen", true)]
    [InlineData("builtins", "getattr", false)]
    [InlineData("torch", "load", false)]
    public void A_pickle_asking_for_a_global_outside_the_allow_list_is_refused_naming_it(string module, string name, bool stackGlobal)
    {
        using var dir = new TestFiles();
        File.Delete(Marker);
        var payload = new PyCall(module, name, stackGlobal, $"echo pwned > {Marker}");
        var path = TorchSaveWriter.SaveFile(dir.PathOf("evil.pt"), new PyDict(false, ("Fingerprint", PyTensor.Of("0", new float[768], 1, 3, 16, 16)), ("x", payload)));
        var e = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains($"'{module}.{name}'", e.Message);
        Assert.False(File.Exists(Marker));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'i' }, "'i'")]          // INST: calls a class named inline
    [InlineData(new byte[] { (byte)'o' }, "'o'")]          // OBJ
    [InlineData(new byte[] { 0x81 }, "0x81")]              // NEWOBJ
    [InlineData(new byte[] { 0x92 }, "0x92")]              // NEWOBJ_EX
    [InlineData(new byte[] { 0x82, 1 }, "0x82")]           // EXT1: the extension registry
    [InlineData(new byte[] { (byte)'P' }, "'P'")]          // PERSID (text persistent id)
    [InlineData(new byte[] { (byte)'I', (byte)'1', (byte)'\n' }, "'I'")]  // protocol-0 INT: not what torch.save writes
    public void An_opcode_torch_save_does_not_write_is_refused_naming_it(byte[] opcode, string shown)
    {
        var pickle = TorchSaveWriter.Pickle(new PyDict(false, ("a", new PyRaw(opcode))));
        var e = Assert.Throws<DifModelFileException>(() => RestrictedUnpickler.Load(pickle, "test.pkl"));
        Assert.StartsWith("test.pkl", e.Message);
        Assert.Contains($"opcode {shown}", e.Message);
    }

    [Fact]
    public void An_allowed_storage_type_cannot_be_called_and_BUILD_cannot_set_state_on_a_list()
    {
        var call = TorchSaveWriter.Pickle(new PyCall("torch", "FloatStorage", false, 10L));
        Assert.Contains("only inside a storage reference", Assert.Throws<DifModelFileException>(() => RestrictedUnpickler.Load(call, "a")).Message);
        // EMPTY_LIST, EMPTY_DICT, BUILD
        var build = TorchSaveWriter.Pickle(new PyRaw([(byte)']', (byte)'}', (byte)'b']));
        Assert.Contains("BUILD", Assert.Throws<DifModelFileException>(() => RestrictedUnpickler.Load(build, "b")).Message);
    }

    [Fact]
    public void A_tensor_with_backward_hooks_is_refused()
    {
        using var dir = new TestFiles();
        var hooked = new PyTensor("0", new float[4], 0, [4], Hooks: new PyDict(true, ("hook", 1L)));
        var path = TorchSaveWriter.SaveFile(dir.PathOf("hooks.pt"), new PyDict(false, ("w", hooked)));
        Assert.Contains("backward hooks", Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(path)).Message);
    }

    // ---- damaged and lying files

    [Fact]
    public void A_truncated_checkpoint_is_refused_naming_the_file()
    {
        using var dir = new TestFiles();
        var bytes = TorchSaveWriter.Save(new PyDict(false, ("w", PyTensor.Of("0", new float[4096], 4096))));
        var path = dir.Bytes("cut.pt", bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(path));
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void A_storage_whose_entry_is_shorter_or_longer_than_its_header_says_is_refused()
    {
        using var dir = new TestFiles();
        var root = new PyDict(false, ("w", PyTensor.Of("0", new float[16], 16)));
        var shorter = TorchSaveWriter.SaveFile(dir.PathOf("short.pt"), root, e => e["short/data/0"] = new byte[8]);
        Assert.Contains("size that lies", Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(shorter)).Message);
        var longer = TorchSaveWriter.SaveFile(dir.PathOf("long.pt"), root, e => e["long/data/0"] = new byte[128]);
        Assert.Contains("size that lies", Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(longer)).Message);
        var missing = TorchSaveWriter.SaveFile(dir.PathOf("missing.pt"), root, e => e.Remove("missing/data/0"));
        Assert.Contains("no entry missing/data/0", Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(missing)).Message);
    }

    /// <summary>Sets the uncompressed size of <paramref name="entry"/> in both its local header and the central directory.</summary>
    private static void LieAboutSize(byte[] zip, string entry, uint size)
    {
        var name = Encoding.ASCII.GetBytes(entry);
        for (int i = 0; i + 46 < zip.Length; i++)
        {
            uint signature = BitConverter.ToUInt32(zip, i);
            if (signature == 0x04034b50 && zip.AsSpan(i + 30, name.Length).SequenceEqual(name)) BitConverter.TryWriteBytes(zip.AsSpan(i + 22), size);
            if (signature == 0x02014b50 && zip.AsSpan(i + 46, name.Length).SequenceEqual(name)) BitConverter.TryWriteBytes(zip.AsSpan(i + 24), size);
        }
    }

    [Fact]
    public void Zip_entries_lying_about_their_size_are_refused_before_allocating()
    {
        using var dir = new TestFiles();
        var root = new PyDict(false, ("w", PyTensor.Of("0", new float[16], 16)));
        var hugePickle = TorchSaveWriter.Save(root, "a");
        LieAboutSize(hugePickle, "a/data.pkl", 0x7FFF_FFF0);
        var e = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(dir.Bytes("a.pt", hugePickle)));
        Assert.Contains("declares 2147483632 bytes", e.Message);

        var hugeStorage = TorchSaveWriter.Save(root, "b");
        LieAboutSize(hugeStorage, "b/data/0", 0x7FFF_FFF0);
        e = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(dir.Bytes("b.pt", hugeStorage)));
        Assert.Contains("size that lies", e.Message);

        var longerPickle = TorchSaveWriter.Save(root, "c");
        LieAboutSize(longerPickle, "c/data.pkl", 5000);
        e = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(dir.Bytes("c.pt", longerPickle)));
        Assert.StartsWith(dir.PathOf("c.pt"), e.Message);
    }

    [Fact]
    public void A_storage_claiming_a_huge_size_is_refused_without_allocating_it()
    {
        using var dir = new TestFiles();
        // The persistent id claims 2^40 elements; the entry holds 64 bytes.
        var root = new PyDict(false, ("w", PyTensor.Of("0", new float[16], 16)));
        var path = TorchSaveWriter.SaveFile(dir.PathOf("huge.pt"), root, e =>
        {
            var pkl = e["huge/data.pkl"];
            var text = Encoding.Latin1.GetString(pkl);
            // numel 16 is written as BININT1 16 right after 'cpu' and its BINPUT: replace with LONG1 8 bytes 2^40.
            int at = text.IndexOf("cpu", StringComparison.Ordinal) + 3 + 2;
            Assert.Equal((byte)'K', pkl[at]);
            var patched = pkl[..at].Concat(new byte[] { 0x8a, 8, 0, 0, 0, 0, 0, 1, 0, 0 }).Concat(pkl[(at + 2)..]).ToArray();
            e["huge/data.pkl"] = patched;
        });
        var error = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(path));
        Assert.True(error.Message.Contains("1099511627776"), error.Message);
    }

    [Fact]
    public void A_tensor_view_reaching_past_its_storage_is_refused()
    {
        using var dir = new TestFiles();
        var beyond = new PyTensor("0", new float[16], Offset: 10, Shape: [2, 4], Stride: [4, 1]);   // last element 10 + 4 + 3 = 17
        var path = TorchSaveWriter.SaveFile(dir.PathOf("view.pt"), new PyDict(false, ("w", beyond)));
        var e = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(path));
        Assert.Contains("reaches element 17 of a storage of 16", e.Message);
    }

    [Fact]
    public void A_string_length_that_lies_is_refused_before_allocating()
    {
        // BINUNICODE claiming 0xFFFFFFF0 bytes, then nothing.
        byte[] pickle = [0x80, 2, (byte)'X', 0xF0, 0xFF, 0xFF, 0xFF, (byte)'a', (byte)'.'];
        var e = Assert.Throws<DifModelFileException>(() => RestrictedUnpickler.Load(pickle, "lie.pkl"));
        Assert.Contains("remain", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e }, "legacy format")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'}', (byte)'.' }, "bare Python pickle")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5 }, "not a PyTorch checkpoint")]
    public void Files_that_are_not_torch_save_archives_are_told_apart(byte[] content, string expected)
    {
        using var dir = new TestFiles();
        var path = dir.Bytes("x.pt", content);
        var e = Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_TorchScript_archive_is_refused_with_advice()
    {
        using var dir = new TestFiles();
        var path = TorchSaveWriter.SaveFile(dir.PathOf("script.pt"), new PyDict(false), e => e["script/constants.pkl"] = [0x80, 2, (byte)')', (byte)'.']);
        Assert.Contains("TorchScript", Assert.Throws<DifModelFileException>(() => TorchCheckpoint.Load(path)).Message);
    }

    [Fact]
    public void A_self_containing_list_reads_as_itself()
    {
        // EMPTY_LIST BINPUT 0, BINGET 0, APPEND: l = []; l.append(l)
        byte[] pickle = [0x80, 2, (byte)']', (byte)'q', 0, (byte)'h', 0, (byte)'a', (byte)'.'];
        var root = Assert.IsType<List<object?>>(RestrictedUnpickler.Load(pickle, "cycle"));
        Assert.Same(root, root[0]);
    }

    [Fact]
    public void The_allow_list_is_tensor_rebuilds_and_plain_containers_only()
    {
        Assert.Contains("torch._utils._rebuild_tensor_v2", RestrictedUnpickler.AllowedGlobals);
        Assert.Contains("collections.OrderedDict", RestrictedUnpickler.AllowedGlobals);
        Assert.DoesNotContain(RestrictedUnpickler.AllowedGlobals, g => g.StartsWith("builtins.", StringComparison.Ordinal) || g.StartsWith("os.", StringComparison.Ordinal));
    }
}
