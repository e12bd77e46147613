using Dif.Persistence;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace Dif.Evaluation;

/// <summary>Histograms of a detector's test scores, real against generated, drawn with OxyPlot: how far
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
        double lo = Math.Min(0, real.Concat(fake).Min()), hi = Math.Max(0, real.Concat(fake).Max());
        if (hi <= lo) hi = lo + 1e-9;
        double width = (hi - lo) / Bins;
        HistogramSeries Series(IReadOnlyList<double> xs, OxyColor colour, string label)
        {
            var counts = new int[Bins];
            foreach (var x in xs) counts[Math.Min(Bins - 1, (int)((x - lo) / width))]++;
            var s = new HistogramSeries { Title = label, FillColor = OxyColor.FromAColor(140, colour), StrokeThickness = 0 };
            for (int i = 0; i < Bins; i++) s.Items.Add(new HistogramItem(lo + i * width, lo + (i + 1) * width, counts[i] * width, counts[i]));
            return s;
        }
        var model = new PlotModel
        {
            Title = $"{title}: {result.Detector}, {result.TrainPerClass}/class",
            Subtitle = $"balanced accuracy {100 * result.BalancedAccuracy:F1}%, AUC {result.Auc:F3}",
            Background = OxyColors.White,
        };
        model.Legends.Add(new OxyPlot.Legends.Legend { LegendPosition = OxyPlot.Legends.LegendPosition.TopRight });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "score (positive = generated)" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "test images (area)", Minimum = 0 });
        model.Series.Add(Series(real, OxyColors.SteelBlue, $"real ({real.Count})"));
        model.Series.Add(Series(fake, OxyColors.OrangeRed, $"generated ({fake.Count})"));
        model.Annotations.Add(new LineAnnotation { Type = LineAnnotationType.Vertical, X = 0, LineStyle = LineStyle.Dash, Color = OxyColors.Black, Text = "boundary" });
        using var buffer = new MemoryStream();
        new OxyPlot.SkiaSharp.PngExporter { Width = 760, Height = 420 }.Export(model, buffer);
        AtomicFile.Write(path, s => buffer.WriteTo(s));
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
