using Dif.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Dif.Denoising;

/// <summary>DnCNN-S (Zhang et al. 2017) as docs/method.md §2.2 states it: conv(3→64)+ReLU,
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
        // inexact backward for few-output 3×3 convs (docs/reference.md, "The default denoiser").
        using var scope = NewDisposeScope();
        var h = input;
        var children = dncnn.children().Cast<Module<Tensor, Tensor>>().ToList();
        for (int i = 0; i < children.Count - 1; i++) h = children[i].forward(h);
        var last = (Conv2d)children[^1];
        return Dif.Training.SafeConv.Conv2d(h, last.weight!, null, padding: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Inference (eval mode, no autograd) with every BatchNorm folded into the conv before it:
    /// conv(x, w·s) + (β − μ·s) with s = γ/√(σ² + ε), folded in double precision, then ReLU in place. The
    /// same function as <see cref="forward"/> in eval mode up to float rounding; per layer one activation
    /// is allocated instead of three and the BatchNorm pass over it is gone. With
    /// <paramref name="channelsLast"/>, the folded weights are laid out like a channels-last input so that
    /// oneDNN need not reorder them. Evidence: docs/performance.md. The folded weights are kept between
    /// calls (folding them afresh every call measured ~25% slower) together with a copy of the weights they
    /// came from; any change to those (training, loading, editing) is seen by an exact comparison and
    /// refolds, so the cache can never serve stale weights. Not thread-safe: <see cref="Denoiser"/>
    /// serialises its calls.</summary>
    internal Tensor ForwardFolded(Tensor input, bool channelsLast, ScalarType dtype = ScalarType.Float32)
    {
        if (training) throw new InvalidOperationException("ForwardFolded uses BatchNorm running statistics: call eval() first.");
        using var _ = no_grad();
        var folded = FoldedLayers(channelsLast, dtype);
        using var scope = NewDisposeScope();
        // Reduced precision: weights are folded in float64 then rounded once; activations stay in dtype
        // throughout and only the output comes back as float32.
        var h = input.dtype == dtype ? input : input.to(dtype);
        for (int i = 0; i < folded.Count; i++)
        {
            var next = nn.functional.conv2d(h, folded[i].Weight, folded[i].Bias, padding: [1, 1]);
            if (!ReferenceEquals(h, input)) h.Dispose(); // keep one activation alive at a time
            h = next;
            if (folded[i].Relu) h.relu_(); // in place (returns h itself)
        }
        if (h.dtype != input.dtype) h = h.to(input.dtype);
        return h.MoveToOuterDisposeScope();
    }

    private sealed record FoldedLayer(Tensor Weight, Tensor? Bias, bool Relu);
    private List<FoldedLayer>? folded;
    private Tensor[]? foldedFrom;
    private bool foldedChannelsLast;
    private ScalarType foldedType;

    private List<FoldedLayer> FoldedLayers(bool channelsLast, ScalarType dtype)
    {
        var sources = dncnn.children().SelectMany(m => m switch
        {
            Conv2d c => new[] { c.weight!, c.bias }.OfType<Tensor>(),
            BatchNorm2d b => new[] { b.weight!, b.bias!, b.running_mean!, b.running_var! },
            _ => [],
        }).ToArray();
        if (folded is not null && foldedFrom is not null && foldedChannelsLast == channelsLast && foldedType == dtype && foldedFrom.Length == sources.Length
            && sources.Zip(foldedFrom).All(p => p.First.device_type == p.Second.device_type && p.First.device_index == p.Second.device_index
                   && p.First.dtype == p.Second.dtype && p.First.shape.SequenceEqual(p.Second.shape) && p.First.allclose(p.Second, 0, 0)))
            return folded;
        DropFolded();
        var layers = dncnn.children().ToList();
        var result = new List<FoldedLayer>();
        for (int i = 0; i < layers.Count; i++)
        {
            using var scope = NewDisposeScope();
            var conv = (Conv2d)layers[i];
            Tensor w = conv.weight!;
            Tensor? b = conv.bias;
            if (i + 1 < layers.Count && layers[i + 1] is BatchNorm2d bn)
            {
                using var eps = Scalars.Of(bn.eps);
                var scale = bn.weight!.to(float64).div(bn.running_var!.to(float64).Plus(eps).sqrt());
                var shift = bn.bias!.to(float64).Minus(bn.running_mean!.to(float64).mul(scale));
                if (b is not null) shift = shift.Plus(b.to(float64).mul(scale));
                w = w.to(float64).mul(scale.reshape(-1, 1, 1, 1));
                b = shift;
                i++;
            }
            if (w.dtype != dtype) w = w.to(dtype);
            w = channelsLast ? Denoiser.ToChannelsLast(w) : w.clone();
            b = b is null ? null : b.dtype != dtype ? b.to(dtype) : b.clone();
            bool relu = i + 1 < layers.Count && layers[i + 1] is ReLU;
            if (relu) i++;
            result.Add(new FoldedLayer(w.DetachFromDisposeScope(), b?.DetachFromDisposeScope(), relu));
        }
        folded = result;
        // Outside any caller's dispose scope: the cache lives until the next change or Dispose.
        foldedFrom = sources.Select(t => { using var scope = NewDisposeScope(); return t.detach().clone().DetachFromDisposeScope(); }).ToArray();
        foldedChannelsLast = channelsLast;
        foldedType = dtype;
        return folded;
    }

    private void DropFolded()
    {
        foreach (var l in folded ?? []) { l.Weight.Dispose(); l.Bias?.Dispose(); }
        foreach (var t in foldedFrom ?? []) t.Dispose();
        folded = null;
        foldedFrom = null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) DropFolded();
        base.Dispose(disposing);
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
    /// so the untrained deep net starts as a shallow one; see docs/reference.md, "The default denoiser".</summary>
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
