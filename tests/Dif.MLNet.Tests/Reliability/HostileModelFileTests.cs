using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Persistence;

namespace Dif.Tests.Reliability;

/// <summary>Hostile or damaged model files (issue 8, item 2), made from real saved denoisers and fingerprints
/// and then edited the way a forger would: with the recorded SHA-256 recomputed, so the check under test is
/// the one that must catch it, not the hash. Each is refused with a <see cref="DifModelFileException"/>
/// naming the file; none allocates more than the file's own size.</summary>
public sealed class HostileModelFileTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private string SavedFingerprint()
    {
        var r = new Random(3);
        var pattern = Enumerable.Range(0, 3 * 16 * 16).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
        var path = files.PathOf("fp.dif.safetensors");
        new Fingerprint(pattern, 16, 0.01, 0.05, new ScoreCalibration(100, ScoreCalibration.Training, 4), "abc").Save(path);
        return path;
    }

    private string SavedDenoiser()
    {
        var path = files.PathOf("denoiser.safetensors");
        using var d = Denoiser.CreateUntrained(seed: 2, device: "cpu");
        d.Save(path);
        return path;
    }

    /// <summary>Rewrites a fingerprint's entries and re-signs it as a forger would.</summary>
    private static void ForgeFingerprint(string path, Action<Dictionary<string, SafeTensor>, Dictionary<string, string>> edit)
    {
        var (tensors, meta) = SafeTensors.Read(path);
        edit(tensors, meta);
        meta["content_sha256"] = FingerprintFile.Hash(tensors, meta);
        SafeTensors.Write(path, tensors, meta);
    }

    private static void ForgeDenoiser(string path, Action<Dictionary<string, SafeTensor>, Dictionary<string, string>> edit)
    {
        var (tensors, meta) = SafeTensors.Read(path);
        edit(tensors, meta);
        meta["content_sha256"] = ModuleWeights.ContentHash(tensors);
        SafeTensors.Write(path, tensors, meta);
    }

    private static DifModelFileException RefusedFingerprint(string path)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DifModelFileException>(() => Fingerprint.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L * new FileInfo(path).Length + 1_000_000, "allocation bounded by the file size");
        Assert.StartsWith(path, e.Message);
        return e;
    }

    private static DifModelFileException RefusedDenoiser(string path)
    {
        var e = Assert.Throws<DifModelFileException>(() => Denoiser.Load(path, "cpu"));
        Assert.StartsWith(path, e.Message);
        return e;
    }

    /// <summary>Replaces the JSON header of a safetensors file (keeping the data) and writes a new length field.</summary>
    private static void RewriteHeader(string path, Action<JsonObject> edit)
    {
        var bytes = File.ReadAllBytes(path);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, n))!.AsObject();
        edit(header);
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var result = new byte[8 + json.Length + bytes.Length - 8 - n];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)json.Length);
        json.CopyTo(result, 8);
        Array.Copy(bytes, 8 + n, result, 8 + json.Length, bytes.Length - 8 - n);
        File.WriteAllBytes(path, result);
    }

    [Fact]
    public void Fingerprint_whose_header_length_lies_is_refused_without_a_huge_allocation()
    {
        var path = SavedFingerprint();
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue / 3);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("header claims", RefusedFingerprint(path).Message);
    }

    [Fact]
    public void Fingerprint_whose_offsets_point_past_the_data_is_refused()
    {
        var path = SavedFingerprint();
        RewriteHeader(path, h => h["fingerprint"]!["data_offsets"] = new JsonArray(0, 1L << 40));
        Assert.Contains("outside", RefusedFingerprint(path).Message);
    }

    [Fact]
    public void Fingerprint_with_a_shape_that_overflows_is_refused()
    {
        var path = SavedFingerprint();
        RewriteHeader(path, h => h["fingerprint"]!["shape"] = new JsonArray(1L << 40, 1L << 40, 1L << 40));
        Assert.Contains("overflows", RefusedFingerprint(path).Message);
    }

    [Fact]
    public void Fingerprint_of_the_wrong_dtype_is_refused()
    {
        var path = SavedFingerprint();
        ForgeFingerprint(path, (t, _) => t["fingerprint"] = SafeTensor.FromInt64(new long[3 * 16 * 16], 3, 16, 16));
        Assert.Contains("is I64", RefusedFingerprint(path).Message);
    }

    [Fact]
    public void Fingerprint_of_the_wrong_shape_is_refused()
    {
        var path = SavedFingerprint();
        ForgeFingerprint(path, (t, _) => t["fingerprint"] = SafeTensor.FromFloats(new float[3 * 16 * 16], 3, 32, 8));
        Assert.Contains("shape [3,16,16]", RefusedFingerprint(path).Message);
    }

    [Fact]
    public void Fingerprint_holding_nan_is_refused()
    {
        var path = SavedFingerprint();
        ForgeFingerprint(path, (t, _) =>
        {
            var v = t["fingerprint"].ToFloats();
            v[100] = float.NaN;
            t["fingerprint"] = SafeTensor.FromFloats(v, 3, 16, 16);
        });
        Assert.Contains("non-finite", RefusedFingerprint(path).Message);
    }

    [Fact]
    public void Fingerprint_missing_its_tensor_is_refused()
    {
        var path = SavedFingerprint();
        ForgeFingerprint(path, (t, _) => t.Remove("fingerprint"));
        Assert.Contains("needs a tensor 'fingerprint'", RefusedFingerprint(path).Message);
    }

    [Fact]
    public void Fingerprint_of_an_unknown_format_version_is_refused()
    {
        var path = SavedFingerprint();
        ForgeFingerprint(path, (_, m) => m["format_version"] = "2");
        Assert.Contains("version '2'", RefusedFingerprint(path).Message);
    }

    [Fact]
    public void Denoiser_missing_a_weight_is_refused_naming_it()
    {
        var path = SavedDenoiser();
        string removed = "";
        ForgeDenoiser(path, (t, _) => { removed = t.Keys.Order(StringComparer.Ordinal).First(k => k.EndsWith("weight", StringComparison.Ordinal)); t.Remove(removed); });
        Assert.Contains($"'{removed}' is missing", RefusedDenoiser(path).Message);
    }

    [Fact]
    public void Denoiser_weight_of_the_wrong_shape_is_refused()
    {
        var path = SavedDenoiser();
        ForgeDenoiser(path, (t, _) =>
        {
            var key = t.Keys.Order(StringComparer.Ordinal).First(k => t[k].Shape.Length == 4);
            t[key] = SafeTensor.FromFloats(t[key].ToFloats(), [t[key].ElementCount]);
        });
        Assert.Contains("has shape", RefusedDenoiser(path).Message);
    }

    [Fact]
    public void Denoiser_weight_of_the_wrong_dtype_is_refused()
    {
        var path = SavedDenoiser();
        ForgeDenoiser(path, (t, _) =>
        {
            var key = t.Keys.Order(StringComparer.Ordinal).First(k => t[k].Shape.Length == 4);
            t[key] = SafeTensor.FromInt64(new long[t[key].ElementCount], t[key].Shape);
        });
        Assert.Contains("is I64", RefusedDenoiser(path).Message);
    }

    [Fact]
    public void Denoiser_holding_a_nan_weight_is_refused()
    {
        var path = SavedDenoiser();
        ForgeDenoiser(path, (t, _) =>
        {
            var key = t.Keys.Order(StringComparer.Ordinal).First(k => t[k].Shape.Length == 4);
            var v = t[key].ToFloats();
            v[0] = float.NaN;
            t[key] = SafeTensor.FromFloats(v, t[key].Shape);
        });
        Assert.Contains("non-finite", RefusedDenoiser(path).Message);
    }

    [Fact]
    public void Denoiser_of_an_unknown_format_version_is_refused()
    {
        var path = SavedDenoiser();
        ForgeDenoiser(path, (_, m) => m["format_version"] = "9");
        Assert.Contains("version '9'", RefusedDenoiser(path).Message);
    }

    [Fact]
    public void A_pickle_that_would_run_a_command_is_refused_as_not_safetensors_and_runs_nothing()
    {
        // Protocol-0 pickle for os.system('touch MARKER'): what a malicious .pt/.pkl "model" does on torch.load.
        var marker = files.PathOf("pickle-ran");
        var path = files.Bytes("evil.safetensors", Encoding.ASCII.GetBytes($"cos\nsystem\n(S'touch {marker}'\ntR."));
        Assert.Contains("not a valid safetensors", RefusedFingerprint(path).Message);
        Assert.Contains("not a valid safetensors", RefusedDenoiser(path).Message);
        Assert.False(File.Exists(marker));
    }
}
