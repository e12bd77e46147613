using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Dif.Fingerprinting;

/// <summary>The fingerprint network g_θ of docs/method.md §2.3: a U-Net from a fixed 16-channel noise tensor
/// to a 3-channel fingerprint in (−1, 1). Conv blocks are 2 × [conv 3×3 + BatchNorm + LeakyReLU(0.01)];
/// the encoder (16→32→64→128→256) max-pools after each block and keeps the pre-pool output as a
/// skip; a middle block (256→256) runs at S/16; the decoder concatenates skip and up-sampled input;
/// up-sampling is ConvTranspose2d(k=2, s=2) + BatchNorm, which reproduces generator up-sampling
/// artifacts; the head is a 1×1 conv (32→3) and tanh. S must be a multiple of 16.</summary>
public sealed class FingerprintUNet : Module<Tensor, Tensor>
{
    /// <summary>Channels of the noise input Z.</summary>
    public const int InputChannels = 16;
    /// <summary>LeakyReLU negative slope.</summary>
    public const double LeakySlope = 0.01;

    private readonly ModuleList<Module<Tensor, Tensor>> encoder = new();
    private readonly Module<Tensor, Tensor> middle;
    private readonly ModuleList<Module<Tensor, Tensor>> ups = new();
    private readonly ModuleList<Module<Tensor, Tensor>> decoder = new();
    private readonly Conv2d head;

    private readonly int kernel;

    /// <summary>Builds the network (weights from the current torch seed). <paramref name="kernelSize"/> 1 makes
    /// the U1-Net variant of the supplement's Table C (<see cref="FingerprintArchitecture.U1Net"/>).</summary>
    public FingerprintUNet(int kernelSize = 3) : base("DifFingerprintUNet")
    {
        if (kernelSize is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(kernelSize), "Kernel size is 3 (U-Net) or 1 (U1-Net).");
        kernel = kernelSize;
        int[] widths = [32, 64, 128, 256];
        int inChannels = InputChannels;
        foreach (var w in widths) { encoder.Add(Block(inChannels, w)); inChannels = w; }
        middle = Block(256, 256);
        // Up-sampling after the middle block and after each decoder block but the last.
        ups.Add(Up(256));
        int[] decoderOut = [128, 64, 32, 32];
        int h = 256;
        for (int i = 0; i < decoderOut.Length; i++)
        {
            int skip = widths[widths.Length - 1 - i];
            decoder.Add(Block(skip + h, decoderOut[i]));
            h = decoderOut[i];
            if (i < decoderOut.Length - 1) ups.Add(Up(h));
        }
        head = Conv2d(32, 3, 1);
        RegisterComponents();
    }

    private Module<Tensor, Tensor> Block(int input, int output) => Sequential(
        Conv2d(input, output, kernel, padding: kernel / 2), Norm(output), LeakyReLU(LeakySlope),
        Conv2d(output, output, kernel, padding: kernel / 2), Norm(output), LeakyReLU(LeakySlope));

    internal static Module<Tensor, Tensor> Up(int channels) => Sequential(ConvTranspose2d(channels, channels, 2, stride: 2), Norm(channels));

    // The method only ever runs g_θ in training mode (the fingerprint is an EMA of training-mode outputs),
    // so running statistics would never be used; at S=16 the middle block's single pixel would even make
    // them NaN. Batch statistics only.
    internal static BatchNorm2d Norm(int channels) => BatchNorm2d(channels, track_running_stats: false);

    /// <summary>The fingerprint for noise input N×16×S×S: N×3×S×S in (−1, 1).</summary>
    public override Tensor forward(Tensor z)
    {
        if (z.shape[1] != InputChannels || z.shape[2] % 16 != 0 || z.shape[3] % 16 != 0)
            throw new ArgumentException($"Input must be N×{InputChannels}×S×S with S a multiple of 16; got [{string.Join(",", z.shape)}].");
        using var scope = NewDisposeScope();
        var skips = new List<Tensor>();
        var h = z;
        foreach (var block in encoder)
        {
            h = block.forward(h);
            skips.Add(h);
            h = functional.max_pool2d(h, 2);
        }
        h = ups[0].forward(middle.forward(h));
        for (int i = 0; i < decoder.Count; i++)
        {
            h = decoder[i].forward(cat([skips[^(i + 1)], h], 1));
            if (i + 1 < ups.Count) h = ups[i + 1].forward(h);
        }
        return head.forward(h).tanh().MoveToOuterDisposeScope();
    }
}
