using System.Diagnostics;
using Dif.Denoising;
using Dif.Fingerprinting;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Bench;

/// <summary>Dif's side of the two hot paths, measured the way bench/torch_reference.py measures PyTorch's:
/// one warm-up call, then calls repeated for a fixed time on the same shapes.</summary>
internal sealed class DifMeasure : IDisposable
{
    private readonly Denoiser denoiser = Denoiser.LoadDefault("cpu");
    private readonly int size;

    public DifMeasure(int size) => this.size = size;

    public string DenoiserIdentity => denoiser.Identity;

    /// <summary>FLOP of one DnCNN forward at S×S: the 10 px padding included, BatchNorm and ReLU not.</summary>
    public static double DnCnnFlop(int size)
    {
        double pixels = Math.Pow(size + 2 * DnCnnArchitecture.Padding, 2);
        int c = DnCnnArchitecture.Channels, f = DnCnnArchitecture.Features;
        double macs = c * f * 9 + (DnCnnArchitecture.Depth - 2) * f * f * 9 + f * c * 9;
        return 2 * macs * pixels;
    }

    /// <summary>Residual extraction (the library's <see cref="Denoiser.ExtractResiduals(Tensor)"/>: pad, DnCNN,
    /// crop, bias subtraction) on a batch of random images, in images per second.</summary>
    public double ResidualImagesPerSecond(int batch, double seconds)
    {
        torch.manual_seed(0);
        using var x = torch.rand(batch, 3, size, size);
        void Call() { using var scope = NewDisposeScope(); denoiser.ExtractResiduals(x); }
        Call();
        return Timing.RatePerSecond(Call, seconds) * batch;
    }

    /// <summary>Fitting steps per second of <see cref="FingerprintFitter"/> at batch 64 on 64 real + 64 generated
    /// random residuals (2 steps an epoch, no held-out calibration): the library's own loop, timed from the end
    /// of the first epoch (the warm-up) and stopped by cancellation once <paramref name="seconds"/> have passed.</summary>
    public double FittingStepsPerSecond(double seconds, int batch = 64)
    {
        int length = 3 * size * size;
        torch.manual_seed(0);
        float[] Row() { using var t = torch.randn(length); return t.data<float>().ToArray(); }
        var real = Enumerable.Range(0, batch).Select(_ => Row()).ToList();
        var fake = Enumerable.Range(0, batch).Select(_ => Row()).ToList();
        int stepsPerEpoch = 2 * batch / batch;
        using var cancel = new CancellationTokenSource();
        var clock = new Stopwatch();
        int timedEpochs = 0;
        double elapsed = 0;
        var progress = new InlineProgress<FingerprintFitProgress>(p =>
        {
            if (p.Epoch == 1) { clock.Start(); return; }
            timedEpochs = p.Epoch - 1;
            elapsed = clock.Elapsed.TotalSeconds;
            if (elapsed >= seconds) cancel.Cancel();
        });
        var fitter = new FingerprintFitter(new FingerprintFitOptions { Epochs = 1_000_000, BatchSize = batch, CalibrationFraction = 0, Device = "cpu" });
        try { fitter.Fit(real, fake, size, progress: progress, cancellationToken: cancel.Token); }
        catch (OperationCanceledException) { }
        return timedEpochs * stepsPerEpoch / elapsed;
    }

    public void Dispose() => denoiser.Dispose();
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread, at once.</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
