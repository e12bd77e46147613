using Dif.Persistence;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace Dif.Lineage;

/// <summary>Heatmap pictures of model-by-model matrices (cross-detection, fingerprint correlation), drawn
/// with OxyPlot: labelled axes, the value in every cell.</summary>
public static class Heatmap
{
    /// <summary>Writes <paramref name="values"/> ([row, column]) as a PNG, atomically.</summary>
    /// <param name="values">The matrix; NaN cells are left blank.</param>
    /// <param name="rows">Row labels (top to bottom).</param>
    /// <param name="columns">Column labels (left to right).</param>
    /// <param name="title">Plot title.</param>
    /// <param name="rowAxis">What rows are.</param>
    /// <param name="columnAxis">What columns are.</param>
    /// <param name="path">Output PNG.</param>
    /// <param name="min">Value at the bottom of the colour scale.</param>
    /// <param name="max">Value at the top of the colour scale.</param>
    public static void Write(double[,] values, IReadOnlyList<string> rows, IReadOnlyList<string> columns, string title,
                             string rowAxis, string columnAxis, string path, double min = 0.5, double max = 1)
    {
        int nr = values.GetLength(0), nc = values.GetLength(1);
        if (rows.Count != nr || columns.Count != nc) throw new ArgumentException("One label per row and per column.");
        // OxyPlot's heat map is indexed [x, y] with y growing upwards: the first row goes on top.
        var data = new double[nc, nr];
        for (int r = 0; r < nr; r++) for (int c = 0; c < nc; c++) data[c, nr - 1 - r] = values[r, c];
        var model = new PlotModel { Title = title, Background = OxyColors.White };
        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalettes.Viridis(200), Minimum = min, Maximum = max, InvalidNumberColor = OxyColors.White });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Key = "x", ItemsSource = columns.ToArray(), Title = columnAxis });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, Key = "y", ItemsSource = rows.Reverse().ToArray(), Title = rowAxis });
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0, X1 = nc - 1, Y0 = 0, Y1 = nr - 1, Data = data, Interpolate = false,
            RenderMethod = HeatMapRenderMethod.Rectangles, LabelFontSize = 0.2, LabelFormatString = "0.00", XAxisKey = "x", YAxisKey = "y",
        });
        using var buffer = new MemoryStream();
        new OxyPlot.SkiaSharp.PngExporter { Width = 220 + 95 * nc, Height = 160 + 80 * nr }.Export(model, buffer);
        AtomicFile.Write(path, s => buffer.WriteTo(s));
    }
}
