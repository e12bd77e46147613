using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Dif.Denoising;

/// <summary>DnCNN-S (Zhang et al. 2017) as DESIGN §2.2 states it: conv(3→64)+ReLU,
/// (depth−2) × [conv(64→64)+BatchNorm+ReLU], conv(64→3); 3×3 kernels, no conv bias. It predicts
/// the noise of its input (residual learning), so its output is the residual.</summary>
/// <remarks>Parameter names (<c>dncnn.N.weight</c>) match the common PyTorch DnCNN implementation,
/// so state dicts carry over.</remarks>
public sealed class DnCnn : Module<Tensor, Tensor>
{
    private readonly Sequential dncnn;

    /// <summary>Builds the network with <paramref name="depth"/> conv layers of <paramref name="features"/> channels.</summary>
    public DnCnn(int depth = DnCnnArchitecture.Depth, int features = DnCnnArchitecture.Features, int channels = DnCnnArchitecture.Channels)
        : base("DnCNN")
    {
        if (depth < 3) throw new ArgumentOutOfRangeException(nameof(depth), "DnCNN needs at least 3 layers.");
        var layers = new List<Module<Tensor, Tensor>>
        {
            Conv2d(channels, features, 3, padding: 1, bias: false),
            ReLU(),
        };
        for (int i = 0; i < depth - 2; i++)
        {
            layers.Add(Conv2d(features, features, 3, padding: 1, bias: false));
            layers.Add(BatchNorm2d(features));
            layers.Add(ReLU());
        }
        layers.Add(Conv2d(features, channels, 3, padding: 1, bias: false));
        dncnn = Sequential(layers);
        RegisterComponents();
    }

    /// <summary>Predicted noise for a batch N×3×H×W.</summary>
    public override Tensor forward(Tensor input)
    {
        if (!torch.is_grad_enabled()) return dncnn.forward(input);
        // Training: the last conv (64→3) goes through SafeConv, which works around libtorch's
        // inexact backward for few-output 3×3 convs (README, "A libtorch bug we work around").
        using var scope = NewDisposeScope();
        var h = input;
        var children = dncnn.children().Cast<Module<Tensor, Tensor>>().ToList();
        for (int i = 0; i < children.Count - 1; i++) h = children[i].forward(h);
        var last = (Conv2d)children[^1];
        return Dif.Training.SafeConv.Conv2d(h, last.weight!, null, padding: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Makes every first-layer kernel zero-mean over its 3×3 window, so the first features are
    /// high-pass from the start: they carry the noise the network must predict instead of the image's
    /// brightness, which is what keeps an untrained DnCNN on the "predict zero" plateau.</summary>
    public void InitialiseFirstLayerHighPass()
    {
        using var _ = no_grad();
        var first = dncnn.children().OfType<Conv2d>().First();
        var w = first.weight!;
        using var mean = w.mean([2, 3], keepdim: true);
        w.sub_(mean);
    }

    /// <summary>Sets every conv between the first and the last to a per-channel identity (Dirac) kernel,
    /// so the untrained deep net starts as a shallow one; see the README's "Training the denoiser".</summary>
    public void InitialiseMiddleAsIdentity()
    {
        using var _ = no_grad();
        var convs = dncnn.children().OfType<Conv2d>().ToList();
        foreach (var conv in convs.Skip(1).Take(convs.Count - 2))
            init.dirac_(conv.weight!);
    }
}

/// <summary>The published DnCNN-S shape, used as defaults.</summary>
public static class DnCnnArchitecture
{
    /// <summary>Number of conv layers.</summary>
    public const int Depth = 17;
    /// <summary>Feature channels of the hidden layers.</summary>
    public const int Features = 64;
    /// <summary>Image channels (RGB).</summary>
    public const int Channels = 3;
    /// <summary>Zero padding added on every side before the forward pass and cropped after it.</summary>
    public const int Padding = 10;
    /// <summary>Name written into weights files.</summary>
    public const string Name = "DnCNN-S";
}
