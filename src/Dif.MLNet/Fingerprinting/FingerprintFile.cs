using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dif.Imaging;
using Dif.Persistence;

namespace Dif.Fingerprinting;

/// <summary>The fingerprint file: safetensors with one tensor, <c>fingerprint</c> (F32, 3×S×S), and the
/// rest in the header's metadata (all strings, as safetensors requires): format, version, crop size,
/// centres, calibration, denoiser identity, name and training summary (JSON); when there is one, the
/// <c>harmonise</c> applied to every image (e.g. <c>jpeg:90</c>) and the training-data format check's
/// <c>format_warnings</c> (a JSON array of strings, <c>[]</c> when it found nothing). Files without these two
/// entries (older ones, or fits without harmonisation or check) load with none. <c>content_sha256</c>
/// covers the tensor and every other metadata entry, so an edited or damaged file is refused.</summary>
internal static class FingerprintFile
{
    public const string Format = "dif-fingerprint";
    public const int Version = 1;
    public const string TensorName = "fingerprint";

    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    public static void Write(Fingerprint fp, string path)
    {
        var tensors = new Dictionary<string, SafeTensor> { [TensorName] = SafeTensor.FromFloats(fp.Pattern, 3, fp.Size, fp.Size) };
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["format_version"] = Version.ToString(CultureInfo.InvariantCulture),
            ["crop_size"] = fp.Size.ToString(CultureInfo.InvariantCulture),
            ["real_centre"] = F(fp.RealCentre),
            ["fake_centre"] = F(fp.FakeCentre),
            ["calibration_slope"] = F(fp.Calibration.Slope),
            ["calibration_source"] = fp.Calibration.Source,
            ["calibration_images"] = fp.Calibration.Images.ToString(CultureInfo.InvariantCulture),
            ["denoiser_identity"] = fp.DenoiserIdentity ?? "",
            ["name"] = fp.Name ?? "",
            ["training"] = fp.Summary is null ? "" : JsonSerializer.Serialize(fp.Summary),
        };
        // Written only when present, so a file without them is byte-for-byte what earlier versions wrote.
        if (fp.Harmonisation is { } h) meta[HarmoniseKey] = h.ToString();
        if (fp.FormatWarnings is { } warnings) meta[FormatWarningsKey] = JsonSerializer.Serialize(warnings);
        meta["content_sha256"] = Hash(tensors, meta);
        SafeTensors.Write(path, tensors, meta);
    }

    public const string HarmoniseKey = "harmonise";
    public const string FormatWarningsKey = "format_warnings";

    public static Fingerprint Read(string path)
    {
        var (tensors, meta) = SafeTensors.Read(path);
        string Get(string key) => meta.TryGetValue(key, out var v) ? v
            : throw new DifModelFileException(path, $"has no '{key}' entry (the fingerprint file is incomplete).");
        double Number(string key)
        {
            var text = Get(key);
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) ? x
                : throw new DifModelFileException(path, $"entry '{key}' is '{text}', not a finite number.");
        }

        if (!meta.TryGetValue("format", out var format) || format != Format)
            throw new DifModelFileException(path, $"is not a Dif fingerprint file (format '{format ?? "none"}', expected '{Format}').");
        if (Get("format_version") != Version.ToString(CultureInfo.InvariantCulture))
            throw new DifModelFileException(path, $"has fingerprint format version '{meta["format_version"]}'; this Dif reads version {Version}.");
        if (Hash(tensors, meta) != Get("content_sha256"))
            throw new DifModelFileException(path, "content does not match its recorded SHA-256 (the file is damaged or was altered).");
        if (!int.TryParse(Get("crop_size"), NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size < 16 || size % 16 != 0)
            throw new DifModelFileException(path, $"crop size '{meta["crop_size"]}' is not a positive multiple of 16.");
        if (!tensors.TryGetValue(TensorName, out var t) || !t.Shape.SequenceEqual(new long[] { 3, size, size }))
            throw new DifModelFileException(path, $"needs a tensor '{TensorName}' of shape [3,{size},{size}].");
        if (t.DType != SafeTensorDType.F32)
            throw new DifModelFileException(path, $"tensor '{TensorName}' is {t.DType}; a fingerprint is F32.");
        var pattern = t.ToFloats();
        if (pattern.Any(x => !float.IsFinite(x))) throw new DifModelFileException(path, "fingerprint holds non-finite values.");
        double slope = Number("calibration_slope");
        if (slope <= 0) throw new DifModelFileException(path, "calibration slope must be positive.");
        if (!int.TryParse(Get("calibration_images"), NumberStyles.None, CultureInfo.InvariantCulture, out int calibrationImages))
            throw new DifModelFileException(path, "calibration image count is not a number.");
        FingerprintSummary? summary = null;
        var training = Get("training");
        if (training.Length > 0)
        {
            try { summary = JsonSerializer.Deserialize<FingerprintSummary>(training); }
            catch (JsonException e) { throw new DifModelFileException(path, "training summary is not valid JSON.", e); }
        }
        Harmonisation? harmonisation = null;
        if (meta.TryGetValue(HarmoniseKey, out var harmonise) && harmonise.Length > 0 && !Harmonisation.TryParse(harmonise, out harmonisation))
            throw new DifModelFileException(path, $"entry '{HarmoniseKey}' is '{harmonise}', not jpeg:Q (Q 1–100).");
        string[]? warnings = null;
        if (meta.TryGetValue(FormatWarningsKey, out var warningsJson) && warningsJson.Length > 0)
        {
            try { warnings = JsonSerializer.Deserialize<string[]>(warningsJson); }
            catch (JsonException e) { throw new DifModelFileException(path, $"entry '{FormatWarningsKey}' is not a JSON array of strings.", e); }
            if (warnings is null || warnings.Any(w => w is null))
                throw new DifModelFileException(path, $"entry '{FormatWarningsKey}' is not a JSON array of strings.");
        }
        return new Fingerprint(pattern, size, Number("real_centre"), Number("fake_centre"),
            new ScoreCalibration(slope, Get("calibration_source"), calibrationImages), Get("denoiser_identity"), summary, Get("name"),
            harmonisation, warnings);
    }

    /// <summary>SHA-256 over the tensor content hash and every metadata entry but the hash itself, in key order.</summary>
    internal static string Hash(Dictionary<string, SafeTensor> tensors, IReadOnlyDictionary<string, string> meta)
    {
        var text = new StringBuilder(ModuleWeights.ContentHash(tensors));
        foreach (var (k, v) in meta.Where(kv => kv.Key != "content_sha256").OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append('\n').Append(k).Append('=').Append(v);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
