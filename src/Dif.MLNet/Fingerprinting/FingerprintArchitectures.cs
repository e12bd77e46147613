using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Dif.Fingerprinting;

/// <summary>The fingerprint network g_θ: the method's U-Net, or one of the variants of the supplement's
/// Table C (§A.4), so that its architecture ablation can be reproduced with the evaluation harness.</summary>
/// <remarks>Table C names the variants in one sentence each; where it leaves a choice open, Dif decides as
/// documented on each member. All variants use the U-Net's conv block (2 × [conv + BatchNorm (batch statistics)
/// + LeakyReLU(0.01)]), its up-sampling (ConvTranspose2d k=2 s=2 + BatchNorm) and its head (1×1 conv to 3
/// channels, tanh).</remarks>
public enum FingerprintArchitecture
{
    /// <summary>The method's U-Net (docs/method.md §2.3; <see cref="FingerprintUNet"/>). The default.</summary>
    UNet,
    /// <summary>C-Net, "convolutional blocks without down-sampling and up-sampling": 9 conv blocks (as many as
    /// the U-Net's encoder, middle and decoder) at full resolution, 16→32 then 32→32, 3×3 kernels. Width 32
    /// (the U-Net's full-resolution width) rather than the U-Net's 64–256, which at full resolution would cost
    /// ~30× the U-Net's compute. Only boundary (zero-padding) artifacts remain.</summary>
    CNet,
    /// <summary>D-Net, "the decoder of the U-Net": the noise input Z is 16×(S/16)×(S/16); a block 16→256 stands
    /// for the middle block, then the U-Net's decoder without skip connections (up 256, block 256→128, up,
    /// 128→64, up, 64→32, up, 32→32) and head. Up-sampling and boundary artifacts, no encoder.</summary>
    DNet,
    /// <summary>U1-Net, "U-Net with 1×1 kernels within convolutional layers": the U-Net with every conv block's
    /// 3×3 convs replaced by 1×1 (no padding, so no boundary artifacts); pooling, transposed-conv up-sampling
    /// and head unchanged. Only up-sampling artifacts remain.</summary>
    U1Net,
}

/// <summary>Builds the fingerprint network of each <see cref="FingerprintArchitecture"/> and says what noise input it takes.</summary>
public static class FingerprintNetworks
{
    /// <summary>A new network (weights from the current torch seed).</summary>
    public static Module<Tensor, Tensor> Create(FingerprintArchitecture architecture) => architecture switch
    {
        FingerprintArchitecture.UNet => new FingerprintUNet(),
        FingerprintArchitecture.U1Net => new FingerprintUNet(kernelSize: 1),
        FingerprintArchitecture.CNet => new FingerprintCNet(),
        FingerprintArchitecture.DNet => new FingerprintDNet(),
        _ => throw new ArgumentOutOfRangeException(nameof(architecture)),
    };

    /// <summary>Shape of the fixed noise input Z for crop size <paramref name="size"/>: 1×16×S×S, or 1×16×(S/16)×(S/16) for D-Net.</summary>
    public static long[] InputShape(FingerprintArchitecture architecture, int size)
    {
        if (size < 16 || size % 16 != 0) throw new ArgumentException($"Crop size must be a positive multiple of 16; got {size}.");
        int side = architecture == FingerprintArchitecture.DNet ? size / 16 : size;
        return [1, FingerprintUNet.InputChannels, side, side];
    }

    /// <summary>The name Table C uses: U-Net, C-Net, D-Net, U1-Net.</summary>
    public static string DisplayName(FingerprintArchitecture architecture) => architecture switch
    {
        FingerprintArchitecture.UNet => "U-Net",
        FingerprintArchitecture.CNet => "C-Net",
        FingerprintArchitecture.DNet => "D-Net",
        FingerprintArchitecture.U1Net => "U1-Net",
        _ => architecture.ToString(),
    };

    /// <summary>Parses "unet", "u-net", "cnet", "C-Net", "dnet", "u1net", "U1-Net" (case and dashes ignored).</summary>
    public static FingerprintArchitecture Parse(string text)
    {
        var key = (text ?? "").Replace("-", "", StringComparison.Ordinal).Trim();
        return Enum.TryParse<FingerprintArchitecture>(key, ignoreCase: true, out var a) && Enum.IsDefined(a) ? a
            : throw new ArgumentException($"Unknown fingerprint architecture '{text}' (use U-Net, C-Net, D-Net or U1-Net).");
    }

    internal static Module<Tensor, Tensor> Block(int input, int output) => Sequential(
        Conv2d(input, output, 3, padding: 1), FingerprintUNet.Norm(output), LeakyReLU(FingerprintUNet.LeakySlope),
        Conv2d(output, output, 3, padding: 1), FingerprintUNet.Norm(output), LeakyReLU(FingerprintUNet.LeakySlope));
}

/// <summary>C-Net of Table C (<see cref="FingerprintArchitecture.CNet"/>): conv blocks at full resolution, no
/// down- or up-sampling.</summary>
public sealed class FingerprintCNet : Module<Tensor, Tensor>
{
    /// <summary>Conv blocks (the U-Net has 4 encoder + 1 middle + 4 decoder).</summary>
    public const int Blocks = 9;
    /// <summary>Channels of every block.</summary>
    public const int Width = 32;

    private readonly Sequential body;
    private readonly Conv2d head;

    /// <summary>Builds the network (weights from the current torch seed).</summary>
    public FingerprintCNet() : base("DifFingerprintCNet")
    {
        var blocks = new List<Module<Tensor, Tensor>> { FingerprintNetworks.Block(FingerprintUNet.InputChannels, Width) };
        for (int i = 1; i < Blocks; i++) blocks.Add(FingerprintNetworks.Block(Width, Width));
        body = Sequential(blocks);
        head = Conv2d(Width, 3, 1);
        RegisterComponents();
    }

    /// <summary>The fingerprint for noise input N×16×S×S: N×3×S×S in (−1, 1).</summary>
    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        return head.forward(body.forward(z)).tanh().MoveToOuterDisposeScope();
    }
}

/// <summary>D-Net of Table C (<see cref="FingerprintArchitecture.DNet"/>): the U-Net's decoder alone, from noise at S/16.</summary>
public sealed class FingerprintDNet : Module<Tensor, Tensor>
{
    private readonly Sequential body;

    /// <summary>Builds the network (weights from the current torch seed).</summary>
    public FingerprintDNet() : base("DifFingerprintDNet")
    {
        body = Sequential(
            FingerprintNetworks.Block(FingerprintUNet.InputChannels, 256), FingerprintUNet.Up(256),
            FingerprintNetworks.Block(256, 128), FingerprintUNet.Up(128),
            FingerprintNetworks.Block(128, 64), FingerprintUNet.Up(64),
            FingerprintNetworks.Block(64, 32), FingerprintUNet.Up(32),
            FingerprintNetworks.Block(32, 32),
            Conv2d(32, 3, 1));
        RegisterComponents();
    }

    /// <summary>The fingerprint for noise input N×16×s×s: N×3×16s×16s in (−1, 1).</summary>
    public override Tensor forward(Tensor z)
    {
        if (z.shape[1] != FingerprintUNet.InputChannels) throw new ArgumentException($"Input must be N×{FingerprintUNet.InputChannels}×s×s; got [{string.Join(",", z.shape)}].");
        using var scope = NewDisposeScope();
        return body.forward(z).tanh().MoveToOuterDisposeScope();
    }
}
