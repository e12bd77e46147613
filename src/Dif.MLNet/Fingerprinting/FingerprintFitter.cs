using Dif.Devices;
using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Fingerprinting;

/// <summary>The result of a fit: the fingerprint F_E and the class centres.</summary>
/// <param name="Pattern">F_E, 3×S×S values.</param>
/// <param name="Size">S.</param>
/// <param name="RealCentre">μ_real: mean of the last logged batch-mean correlations of real residuals.</param>
/// <param name="FakeCentre">μ_fake: the same for generated residuals.</param>
public sealed record FittedFingerprint(float[] Pattern, int Size, double RealCentre, double FakeCentre)
{
    /// <summary>The signed score of a residual: (ρ − (μ_real+μ_fake)/2)·sign(μ_fake − μ_real), positive for "generated".</summary>
    public double Score(float[] residual)
        => (Correlation.Pearson(Pattern, residual) - (RealCentre + FakeCentre) / 2) * Math.Sign(FakeCentre - RealCentre);
}

/// <summary>Fits the U-Net fingerprint to cached residuals with the method's pairwise contrastive loss
/// (DESIGN §2.4). Residuals are computed once by the caller and passed in; nothing here touches images.</summary>
public sealed class FingerprintFitter(FingerprintFitOptions? options = null)
{
    private readonly FingerprintFitOptions options = Validated(options ?? new FingerprintFitOptions());

    private static FingerprintFitOptions Validated(FingerprintFitOptions o) { o.Validate(); return o; }

    /// <summary>Fits on real and generated residuals (3×S×S each).</summary>
    public FittedFingerprint Fit(IReadOnlyList<float[]> real, IReadOnlyList<float[]> fake, int size,
                                 IProgress<FingerprintFitProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (real.Count == 0 || fake.Count == 0)
            throw new DifException($"Fitting a fingerprint needs real and generated images (got {real.Count} real, {fake.Count} generated).");
        int length = 3 * size * size;
        if (real.Concat(fake).Any(r => r.Length != length)) throw new ArgumentException($"Every residual must hold 3×{size}×{size} values.");
        var o = options;
        var device = DeviceSpec.Resolve(o.Device);
        torch.manual_seed(o.Seed);
        using var net = new FingerprintUNet();
        net.to(device);
        using var adam = new AdamW(net, o.LearningRate, o.WeightDecay);
        using var noiseScale = Scalars.Of(o.NoiseScale);
        using var jitter = Scalars.Of(o.NoiseJitter);
        using var z = torch.rand([1, FingerprintUNet.InputChannels, size, size], generator: null).mul_(noiseScale).to(device);

        var all = real.Select(r => (r, Label: false)).Concat(fake.Select(f => (r: f, Label: true))).ToArray();
        int batch = Math.Min(o.BatchSize, all.Length) / 2 * 2;
        Tensor? ema = null;
        var realLog = new List<double>();
        var fakeLog = new List<double>();
        using var emaKeep = Scalars.Of(o.EmaDecay);
        using var emaTake = Scalars.Of(1 - o.EmaDecay);
        using var margin = Scalars.Of(o.Margin);
        try
        {
            long step = 0;
            for (int epoch = 0; epoch < o.Epochs; epoch++)
            {
                var order = Enumerable.Range(0, all.Length).ToArray();
                new Random(StepSeeds.Of(o.Seed, epoch, 3)).Shuffle(order);
                double lossSum = 0, realSum = 0, fakeSum = 0;
                int steps = 0;
                for (int start = 0; start + batch <= order.Length; start += batch, step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var idx = order.AsSpan(start, batch).ToArray();
                    using var scope = NewDisposeScope();
                    net.train();
                    using var gen = new torch.Generator((ulong)StepSeeds.Of(o.Seed, step, 4));
                    var zStep = z.Plus(torch.randn(z.shape, generator: gen).mul_(jitter).to(device));
                    var f = net.forward(zStep);
                    var flat = new float[batch * length];
                    for (int k = 0; k < batch; k++) Array.Copy(all[idx[k]].r, 0, flat, k * length, length);
                    var residuals = torch.tensor(flat, [batch, length]).to(device);
                    var rho = Pearson(f.reshape(1, length), residuals);
                    var half = batch / 2;
                    var d = rho[..half].Minus(rho[half..]).abs();
                    var differ = torch.tensor(Enumerable.Range(0, half).Select(k => all[idx[k]].Label != all[idx[k + half]].Label ? 1f : 0f).ToArray()).to(device);
                    var same = torch.ones_like(differ).Minus(differ);
                    var pairLoss = same.mul(d).Plus(differ.mul(nn.functional.relu(torch.full_like(d, margin).Minus(d))));
                    var loss = pairLoss.mean().div_(margin);
                    adam.ZeroGrad();
                    loss.backward();
                    adam.Step();
                    using (torch.no_grad())
                    {
                        var fd = f.detach();
                        if (ema is null) ema = fd.clone().DetachFromDisposeScope();
                        else ema.mul_(emaKeep).add_(fd, alpha: emaTake);
                        var rhoE = Pearson(ema.reshape(1, length), residuals).cpu().data<float>().ToArray();
                        double r = 0, q = 0; int nr = 0, nq = 0;
                        for (int k = 0; k < batch; k++) { if (all[idx[k]].Label) { q += rhoE[k]; nq++; } else { r += rhoE[k]; nr++; } }
                        if (nr > 0) realLog.Add(r / nr);
                        if (nq > 0) fakeLog.Add(q / nq);
                        realSum += nr > 0 ? r / nr : 0;
                        fakeSum += nq > 0 ? q / nq : 0;
                    }
                    lossSum += loss.item<float>();
                    steps++;
                }
                progress?.Report(new FingerprintFitProgress(epoch + 1, o.Epochs, lossSum / Math.Max(1, steps), realSum / Math.Max(1, steps), fakeSum / Math.Max(1, steps)));
            }
            var pattern = ema!.cpu().reshape(length).data<float>().ToArray();
            return new FittedFingerprint(pattern, size, realLog.TakeLast(o.CentreWindow).Average(), fakeLog.TakeLast(o.CentreWindow).Average());
        }
        finally { ema?.Dispose(); }
    }

    /// <summary>ρ between one pattern (1×L) and each row of <paramref name="rows"/> (N×L), as DESIGN §2.4:
    /// standardise by mean and std (+1e-8), mean of the product.</summary>
    internal static Tensor Pearson(Tensor pattern, Tensor rows)
    {
        using var scope = NewDisposeScope();
        using var eps = Scalars.Of(Correlation.Epsilon);
        var p = pattern.Minus(pattern.mean([1], keepdim: true)).div(pattern.std(1, unbiased: false, keepdim: true).add(eps));
        var r = rows.Minus(rows.mean([1], keepdim: true)).div(rows.std(1, unbiased: false, keepdim: true).add(eps));
        return r.mul(p).mean([1]).MoveToOuterDisposeScope();
    }
}
