using Dif.Persistence;

namespace Dif.Evaluation;

/// <summary>Histograms of a detector's test scores, real against generated, drawn with ScottPlot: how far
/// apart the classes sit and where the decision boundary (score 0) cuts them.</summary>
public static class ScoreHistogram
{
    /// <summary>Bars per histogram.</summary>
    public const int Bins = 30;

    /// <summary>Writes one PNG for <paramref name="result"/> (which must carry its scores), atomically.</summary>
    public static void Write(DetectorResult result, string title, string path)
    {
        var real = result.RealScores ?? throw new ArgumentException("The result carries no scores.");
        var fake = result.FakeScores ?? throw new ArgumentException("The result carries no scores.");
        double lo = real.Concat(fake).Min(), hi = real.Concat(fake).Max();
        if (hi <= lo) hi = lo + 1e-9;
        double width = (hi - lo) / Bins;
        double[] Counts(IReadOnlyList<double> xs)
        {
            var counts = new double[Bins];
            foreach (var x in xs) counts[Math.Min(Bins - 1, (int)((x - lo) / width))]++;
            return counts;
        }
        var plot = new ScottPlot.Plot();
        void AddSeries(double[] counts, ScottPlot.Color colour, string label)
        {
            var bars = Enumerable.Range(0, Bins).Select(i => new ScottPlot.Bar
            {
                Position = lo + (i + 0.5) * width, Value = counts[i], Size = width * 0.95, FillColor = colour.WithAlpha(0.55), LineWidth = 0,
            }).ToList();
            var series = plot.Add.Bars(bars);
            series.LegendText = label;
        }
        AddSeries(Counts(real), ScottPlot.Colors.SteelBlue, $"real ({real.Count})");
        AddSeries(Counts(fake), ScottPlot.Colors.OrangeRed, $"generated ({fake.Count})");
        var boundary = plot.Add.VerticalLine(0);
        boundary.LinePattern = ScottPlot.LinePattern.Dashed;
        boundary.Color = ScottPlot.Colors.Black;
        plot.ShowLegend();
        plot.Title($"{title}: {result.Detector}, {result.TrainPerClass}/class — balanced acc. {100 * result.BalancedAccuracy:F1}%, AUC {result.Auc:F3}");
        plot.Axes.Bottom.Label.Text = "score (positive = generated)";
        plot.Axes.Left.Label.Text = "test images";
        var bytes = plot.GetImageBytes(760, 420, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Writes a histogram per result of <paramref name="report"/> into <paramref name="folder"/> as
    /// <c>{stem}-{detector}-{n}.png</c>; returns the paths.</summary>
    public static IReadOnlyList<string> WriteAll(HarnessReport report, string folder, string stem)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        foreach (var r in report.Results.Where(r => r.RealScores is not null))
        {
            var path = Path.Combine(folder, $"{stem}-{r.Detector.Replace(' ', '-')}-{r.TrainPerClass}.png");
            Write(r, report.Title, path);
            paths.Add(path);
        }
        return paths;
    }
}
