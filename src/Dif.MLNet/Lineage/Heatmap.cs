using Dif.Persistence;

namespace Dif.Lineage;

/// <summary>Heatmap pictures of model-by-model matrices (cross-detection, fingerprint correlation), drawn
/// with ScottPlot: labelled axes, the value in every cell.</summary>
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
        var plot = new ScottPlot.Plot();
        // ScottPlot draws row 0 at the top when the data are flipped; keep the matrix's reading order.
        var data = new double[nr, nc];
        for (int r = 0; r < nr; r++) for (int c = 0; c < nc; c++) data[r, c] = values[r, c];
        var map = plot.Add.Heatmap(data);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        map.ManualRange = new ScottPlot.Range(min, max);
        plot.Add.ColorBar(map);
        for (int r = 0; r < nr; r++)
            for (int c = 0; c < nc; c++)
            {
                if (double.IsNaN(values[r, c])) continue;
                var text = plot.Add.Text(values[r, c].ToString("F2", System.Globalization.CultureInfo.InvariantCulture), c, nr - 1 - r);
                text.LabelFontSize = 15;
                text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                // Light text on the dark (low) end of viridis, dark text on the bright end.
                text.LabelFontColor = (values[r, c] - min) / (max - min) < 0.55 ? ScottPlot.Colors.White : ScottPlot.Colors.Black;
            }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, nc).Select(i => (double)i).ToArray(), columns.ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, nr).Select(i => (double)(nr - 1 - i)).ToArray(), rows.ToArray());
        plot.Axes.Bottom.Label.Text = columnAxis;
        plot.Axes.Left.Label.Text = rowAxis;
        plot.Title(title);
        int width = 220 + 95 * nc, height = 160 + 80 * nr;
        var bytes = plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}
