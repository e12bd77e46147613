using Dif.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Dif.Evaluation;

/// <summary>How a generator's decoder doubles resolution.</summary>
public enum Upsampling
{
    /// <summary>ConvTranspose2d(k=2, s=2): the checkerboard-prone up-sampler of many GAN and VAE decoders.</summary>
    TransposedConv,
    /// <summary>Bilinear interpolation ×2 followed by a 3×3 conv.</summary>
    Bilinear,
    /// <summary>Nearest-neighbour ×2 followed by a 3×3 conv.</summary>
    NearestConv,
}

/// <summary>A small auto-encoder that re-synthesises an image the way a latent generative model's
/// decoder does: encode to an 8-channel latent at 1/4 resolution, decode with two ×2 up-sampling
/// stages. Its output looks like the input but carries the decoder's up-sampling traces — a real,
/// known fingerprint for Dif's evaluation data.</summary>
public sealed class GeneratorNet : Module<Tensor, Tensor>
{
    private readonly Sequential encoder;
    private readonly Conv2d expand;
    private readonly Module<Tensor, Tensor> up1, up2;
    private readonly Conv2d? refine1, refine2;
    private readonly Conv2d output;

    /// <summary>Creates the network (weights from the current torch seed).</summary>
    public GeneratorNet(Upsampling upsampling) : base("DifGenerator")
    {
        Upsampling = upsampling;
        encoder = Sequential(
            Conv2d(3, 32, 3, padding: 1), ReLU(),
            Conv2d(32, 64, 4, stride: 2, padding: 1), ReLU(),
            Conv2d(64, 64, 4, stride: 2, padding: 1), ReLU(),
            Conv2d(64, LatentChannels, 1));
        expand = Conv2d(LatentChannels, 64, 1);
        if (upsampling == Upsampling.TransposedConv)
        {
            up1 = ConvTranspose2d(64, 64, 2, stride: 2);
            up2 = ConvTranspose2d(64, 32, 2, stride: 2);
        }
        else
        {
            var mode = upsampling == Upsampling.Bilinear ? UpsampleMode.Bilinear : UpsampleMode.Nearest;
            bool? align = mode == UpsampleMode.Bilinear ? false : null; // explicit, as libtorch warns otherwise
            up1 = Upsample(scale_factor: [2.0, 2.0], mode: mode, align_corners: align);
            up2 = Upsample(scale_factor: [2.0, 2.0], mode: mode, align_corners: align);
            refine1 = Conv2d(64, 64, 3, padding: 1);
            refine2 = Conv2d(64, 32, 3, padding: 1);
        }
        output = Conv2d(32, 3, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>Channels of the latent code.</summary>
    public const int LatentChannels = 8;

    /// <summary>The decoder's up-sampling kind.</summary>
    public Upsampling Upsampling { get; }

    /// <summary>The decoder's parameters (everything after the latent code): what a fine-tune with
    /// <see cref="GeneratorTrainingOptions.FreezeDecoder"/> leaves as it is.</summary>
    public IEnumerable<Parameter> DecoderParameters()
        => named_parameters().Where(p => !p.name.StartsWith(nameof(encoder) + ".", StringComparison.Ordinal)).Select(p => p.parameter);

    /// <summary>Reconstruction of a batch N×3×H×W (H, W multiples of 4), not clamped.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = functional.relu(expand.forward(encoder.forward(input)));
        h = up1.forward(h);
        if (refine1 is not null) h = refine1.forward(h);
        h = functional.relu(h);
        h = up2.forward(h);
        if (refine2 is not null) h = refine2.forward(h);
        h = functional.relu(h);
        return SafeConv.Conv2d(h, output.weight!, output.bias, padding: 1).MoveToOuterDisposeScope();
    }
}
