using static TorchSharp.torch;

namespace Dif.Training;

/// <summary>A 3×3 convolution with few output channels whose backward pass is exact.</summary>
/// <remarks>libtorch 2.10's CPU backward of a 3×3 conv with 3–8 output channels reads uninitialised
/// memory (docs/reference.md, "The default denoiser"). While gradients are recorded, the weight is
/// zero-padded to <see cref="SafeOutputChannels"/> outputs and the extra outputs are dropped: the same
/// function, exact gradients, the parameter keeps its shape.</remarks>
public static class SafeConv
{
    /// <summary>Output channels a few-output conv is padded to while training.</summary>
    public const int SafeOutputChannels = 16;

    /// <summary>conv2d(<paramref name="input"/>, <paramref name="weight"/>, <paramref name="bias"/>) with
    /// stride 1 and the given padding, computed safely when gradients are recorded.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long padding)
    {
        long outputs = weight.shape[0];
        if (!is_grad_enabled() || outputs >= SafeOutputChannels)
            return nn.functional.conv2d(input, weight, bias, padding: [padding, padding]);
        using var scope = NewDisposeScope();
        var extra = SafeOutputChannels - outputs;
        var w = cat([weight, zeros([extra, weight.shape[1], weight.shape[2], weight.shape[3]], dtype: weight.dtype, device: weight.device)], 0);
        var b = bias is null ? null : cat([bias, zeros([extra], dtype: bias.dtype, device: bias.device)], 0);
        var y = nn.functional.conv2d(input, w, b, padding: [padding, padding]);
        return y[.., ..(int)outputs].contiguous().MoveToOuterDisposeScope();
    }
}
