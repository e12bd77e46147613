using Dif.Persistence;

namespace Dif.Tests.Denoising;

/// <summary>DnCNN-S written out by hand (plain loops, double precision) from a weights dictionary:
/// an implementation independent of TorchSharp to check the real network against.</summary>
internal static class DnCnnReference
{
    public static double[,,] Forward(Dictionary<string, SafeTensor> w, double[,,] x, int depth = 17)
    {
        int layer = 0;
        var h = Relu(Conv(x, w[$"dncnn.{layer}.weight"]));
        layer += 2;
        for (int i = 0; i < depth - 2; i++)
        {
            h = Conv(h, w[$"dncnn.{layer}.weight"]);
            h = BatchNorm(h, w, $"dncnn.{layer + 1}");
            h = Relu(h);
            layer += 3;
        }
        return Conv(h, w[$"dncnn.{layer}.weight"]);
    }

    private static double[,,] Conv(double[,,] x, SafeTensor weight)
    {
        var k = weight.ToFloats();
        int co = (int)weight.Shape[0], ci = (int)weight.Shape[1];
        int hgt = x.GetLength(1), wid = x.GetLength(2);
        var y = new double[co, hgt, wid];
        for (int o = 0; o < co; o++)
            for (int i = 0; i < ci; i++)
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        double kv = k[((o * ci + i) * 3 + (dy + 1)) * 3 + (dx + 1)];
                        for (int r = Math.Max(0, -dy); r < Math.Min(hgt, hgt - dy); r++)
                            for (int c = Math.Max(0, -dx); c < Math.Min(wid, wid - dx); c++)
                                y[o, r, c] += kv * x[i, r + dy, c + dx];
                    }
        return y;
    }

    private static double[,,] BatchNorm(double[,,] x, Dictionary<string, SafeTensor> w, string prefix)
    {
        var gamma = w[prefix + ".weight"].ToFloats();
        var beta = w[prefix + ".bias"].ToFloats();
        var mean = w[prefix + ".running_mean"].ToFloats();
        var variance = w[prefix + ".running_var"].ToFloats();
        var y = (double[,,])x.Clone();
        for (int c = 0; c < x.GetLength(0); c++)
        {
            double scale = gamma[c] / Math.Sqrt(variance[c] + 1e-5);
            for (int r = 0; r < x.GetLength(1); r++)
                for (int q = 0; q < x.GetLength(2); q++)
                    y[c, r, q] = (x[c, r, q] - mean[c]) * scale + beta[c];
        }
        return y;
    }

    private static double[,,] Relu(double[,,] x)
    {
        var y = (double[,,])x.Clone();
        for (int a = 0; a < y.GetLength(0); a++)
            for (int b = 0; b < y.GetLength(1); b++)
                for (int c = 0; c < y.GetLength(2); c++)
                    y[a, b, c] = Math.Max(0, y[a, b, c]);
        return y;
    }
}
