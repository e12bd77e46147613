using System.Globalization;
using System.Text;
using System.Text.Json;
using Dif.Fingerprinting;
using Dif.Persistence;

namespace Dif.Lineage;

/// <summary>Everything a lineage study found: the cross-detection matrix (primary), fingerprint correlations
/// (secondary), a verdict per pair, and optionally attribution among the models.</summary>
/// <param name="Matrix">Cross-detection.</param>
/// <param name="FingerprintCorrelation">ρ(F_i, F_j), in the matrix's fingerprint order.</param>
/// <param name="Pairs">Verdicts.</param>
/// <param name="Attribution">Attribution results, if measured.</param>
/// <param name="Options">The thresholds used.</param>
public sealed record LineageReport(CrossDetectionMatrix Matrix, double[,] FingerprintCorrelation, IReadOnlyList<PairLineage> Pairs,
                                   AttributionReport? Attribution, LineageOptions Options)
{
    /// <summary>Runs the study: cross-detection of every fingerprint on every test set, correlations, verdicts,
    /// and attribution of every test image among the fingerprints (real images from the first set).</summary>
    public static LineageReport Analyse(IReadOnlyList<Fingerprint> fingerprints, IReadOnlyList<ModelTestSet> testSets,
                                        LineageOptions? options = null, bool attribution = true, CancellationToken cancellationToken = default)
    {
        var o = options ?? new LineageOptions();
        var matrix = CrossDetection.Compute(fingerprints, testSets, cancellationToken);
        var rho = CrossDetection.FingerprintCorrelation(fingerprints);
        var pairs = PairLineage.All(matrix, rho, o);
        var attributed = attribution ? new Attributor(fingerprints).Evaluate(testSets[0].Real, testSets, cancellationToken) : null;
        return new LineageReport(matrix, rho, pairs, attributed, o);
    }

    private static string F(double x) => double.IsNaN(x) ? "" : x.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>The report as Markdown: both matrices, the verdicts with their reasons, attribution.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        void Table(string title, double[,] values, IReadOnlyList<string> rows, IReadOnlyList<string> columns, string corner)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"**{title}**").AppendLine();
            sb.AppendLine($"| {corner} | {string.Join(" | ", columns)} |");
            sb.AppendLine($"|---|{string.Concat(columns.Select(_ => "---|"))}");
            for (int r = 0; r < rows.Count; r++)
                sb.AppendLine($"| {rows[r]} | {string.Join(" | ", Enumerable.Range(0, columns.Count).Select(c => F(values[r, c])))} |");
            sb.AppendLine();
        }
        Table("Cross-detection balanced accuracy (row: fingerprint, column: test set)", Matrix.BalancedAccuracy, Matrix.Fingerprints, Matrix.TestSets, "fingerprint \\ test set");
        Table("Cross-detection AUC", Matrix.Auc, Matrix.Fingerprints, Matrix.TestSets, "fingerprint \\ test set");
        Table("Fingerprint correlation ρ(F_i, F_j)", FingerprintCorrelation, Matrix.Fingerprints, Matrix.Fingerprints, "");
        sb.AppendLine(CultureInfo.InvariantCulture, $"**Lineage verdicts** (detects at ≥ {Options.DetectsAt:F2}, misses below {Options.MissesBelow:F2})").AppendLine();
        sb.AppendLine("| models | verdict | reasoning | ρ(F_A, F_B) |").AppendLine("|---|---|---|---|");
        foreach (var p in Pairs) sb.AppendLine($"| {p.A} – {p.B} | {p.Relation} | {p.Reason} | {F(p.FingerprintCorrelation)} |");
        if (Attribution is { } a)
        {
            sb.AppendLine().AppendLine("**Attribution among the fingerprints** (share of each model's test images attributed to it)").AppendLine();
            sb.AppendLine("| model | attributed correctly |").AppendLine("|---|---|");
            foreach (var (model, accuracy) in a.Accuracy) sb.AppendLine(CultureInfo.InvariantCulture, $"| {model} | {100 * accuracy:F1}% |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| *mean* | {100 * a.MeanAccuracy:F1}% |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| real images attributed to none | {100 * a.RealNoneRate:F1}% of {a.RealImages} |");
        }
        return sb.ToString();
    }

    /// <summary>The report as indented JSON.</summary>
    public string ToJson()
    {
        static double[][] Rows(double[,] m) => Enumerable.Range(0, m.GetLength(0)).Select(r => Enumerable.Range(0, m.GetLength(1)).Select(c => m[r, c]).ToArray()).ToArray();
        return JsonSerializer.Serialize(new
        {
            fingerprints = Matrix.Fingerprints, test_sets = Matrix.TestSets,
            balanced_accuracy = Rows(Matrix.BalancedAccuracy), auc = Rows(Matrix.Auc),
            fingerprint_correlation = Rows(FingerprintCorrelation),
            thresholds = new { detects_at = Options.DetectsAt, misses_below = Options.MissesBelow },
            pairs = Pairs.Select(p => new { a = p.A, b = p.B, a_on_b = p.AOnB, b_on_a = p.BOnA, fingerprint_correlation = double.IsNaN(p.FingerprintCorrelation) ? (double?)null : p.FingerprintCorrelation, relation = p.Relation.ToString(), reason = p.Reason }),
            attribution = Attribution is null ? null : new
            {
                per_model = Attribution.Accuracy.Select(x => new { model = x.Model, accuracy = x.Accuracy }),
                mean_accuracy = Attribution.MeanAccuracy, real_none_rate = Attribution.RealNoneRate, real_images = Attribution.RealImages,
            },
        }, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The cross-detection matrix as CSV, one line per (fingerprint, test set) with accuracy, AUC and, where both are fingerprints, ρ.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("fingerprint,test_set,balanced_accuracy,auc,fingerprint_correlation\n");
        for (int i = 0; i < Matrix.Fingerprints.Count; i++)
            for (int j = 0; j < Matrix.TestSets.Count; j++)
            {
                int k = Matrix.Fingerprints.ToList().IndexOf(Matrix.TestSets[j]);
                sb.AppendLine(CultureInfo.InvariantCulture, $"{Matrix.Fingerprints[i]},{Matrix.TestSets[j]},{Matrix.BalancedAccuracy[i, j]:R},{Matrix.Auc[i, j]:R},{(k < 0 ? "" : FingerprintCorrelation[i, k].ToString("R", CultureInfo.InvariantCulture))}");
            }
        return sb.ToString();
    }

    /// <summary>Writes lineage.md, lineage.json, lineage.csv and the two heatmaps into <paramref name="folder"/>.</summary>
    public IReadOnlyList<string> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        string P(string name) => Path.Combine(folder, name);
        AtomicFile.Write(P("lineage.md"), s => s.Write(Encoding.UTF8.GetBytes(ToMarkdown())));
        AtomicFile.Write(P("lineage.json"), s => s.Write(Encoding.UTF8.GetBytes(ToJson())));
        AtomicFile.Write(P("lineage.csv"), s => s.Write(Encoding.UTF8.GetBytes(ToCsv())));
        Heatmap.Write(Matrix.BalancedAccuracy, Matrix.Fingerprints, Matrix.TestSets, "Cross-detection (balanced accuracy)",
            "fingerprint of", "test set: real vs", P("cross-detection.png"));
        Heatmap.Write(FingerprintCorrelation, Matrix.Fingerprints, Matrix.Fingerprints, "Fingerprint correlation ρ(F_i, F_j)",
            "fingerprint", "fingerprint", P("fingerprint-correlation.png"), min: -1, max: 1);
        return ["lineage.md", "lineage.json", "lineage.csv", "cross-detection.png", "fingerprint-correlation.png"];
    }
}
