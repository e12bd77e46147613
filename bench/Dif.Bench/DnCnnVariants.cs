using Dif.Denoising;
using Dif.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dif.Bench;

/// <summary>Ways of running the same DnCNN forward, for the A/B measurements behind any inference change.</summary>
internal static class DnCnnVariants
{
    /// <summary>Conv weights with eval-mode BatchNorm folded in: (weight, bias or null) per conv, in order.</summary>
    public static List<(Tensor W, Tensor? B)> Fold(DnCnn net, bool channelsLast)
    {
        var convs = new List<(Tensor, Tensor?)>();
        var mods = net.modules().Where(m => m is Conv2d or BatchNorm2d).ToList();
        using var _ = no_grad();
        for (int i = 0; i < mods.Count; i++)
        {
            var conv = (Conv2d)mods[i];
            var w = conv.weight!.to(float64);
            Tensor? b = null;
            if (i + 1 < mods.Count && mods[i + 1] is BatchNorm2d bn)
            {
                using var eps = Scalars.Of(bn.eps);
                var scale = bn.weight!.to(float64).div(bn.running_var!.to(float64).add(eps).sqrt());
                w = w.mul(scale.reshape(-1, 1, 1, 1));
                b = bn.bias!.to(float64).Minus(bn.running_mean!.to(float64).mul(scale)).to(float32);
                i++;
            }
            var wf = w.to(float32);
            if (channelsLast) wf = ChannelsLast(wf);
            convs.Add((wf, b));
        }
        return convs;
    }

    public static Tensor ChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    public static Tensor RunFolded(List<(Tensor W, Tensor? B)> convs, Tensor padded)
    {
        var h = padded;
        for (int i = 0; i < convs.Count; i++)
        {
            var next = nn.functional.conv2d(h, convs[i].W, convs[i].B, padding: [1, 1]);
            if (!ReferenceEquals(h, padded)) h.Dispose();
            h = i + 1 < convs.Count ? next.relu_() : next;
        }
        return h;
    }
}
