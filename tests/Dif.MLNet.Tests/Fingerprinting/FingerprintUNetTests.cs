using Dif.Fingerprinting;
using TorchSharp;

namespace Dif.Tests.Fingerprinting;

public sealed class FingerprintUNetTests
{
    // Counted by hand from docs/method.md §2.3 (convs have biases; BatchNorm has weight and bias):
    // block(i,o) = [9io + o] + 2o + [9o² + o] + 2o;  up(c) = ConvT 4c² + c, BatchNorm 2c;  head = 32·3 + 3.
    private static long Block(long i, long o) => 9 * i * o + 9 * o * o + 6 * o;
    private static long Up(long c) => 4 * c * c + 3 * c;

    [Fact]
    public void Parameter_count_matches_the_architecture_counted_by_hand()
    {
        long expected =
            Block(16, 32) + Block(32, 64) + Block(64, 128) + Block(128, 256)   // encoder
            + Block(256, 256)                                                  // middle
            + Up(256) + Up(128) + Up(64) + Up(32)                              // up-sampling
            + Block(512, 128) + Block(256, 64) + Block(128, 32) + Block(64, 32) // decoder on concatenations
            + 32 * 3 + 3;                                                      // 1×1 head
        using var net = new FingerprintUNet();
        Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(48)]
    public void Output_is_three_channels_at_the_input_size_within_tanh_range(int size)
    {
        using var net = new FingerprintUNet();
        net.eval();
        using var _ = torch.no_grad();
        using var z = torch.rand([1, FingerprintUNet.InputChannels, size, size]);
        using var f = net.forward(z);
        Assert.Equal([1L, 3, size, size], f.shape);
        Assert.True(f.abs().max().item<float>() < 1f);
    }

    [Fact]
    public void Size_not_divisible_by_16_is_refused()
    {
        using var net = new FingerprintUNet();
        using var z = torch.rand([1, FingerprintUNet.InputChannels, 24, 24]);
        Assert.Throws<ArgumentException>(() => net.forward(z));
    }

    [Fact]
    public void Transposed_conv_layers_up_sample_with_kernel_2_stride_2()
    {
        using var net = new FingerprintUNet();
        var ups = net.modules().OfType<TorchSharp.Modules.ConvTranspose2d>().ToList();
        Assert.Equal(4, ups.Count);
        Assert.All(ups, u => Assert.Equal([2L, 2], u.weight!.shape[2..]));
    }
}
