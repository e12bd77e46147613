using Dif.Devices;
using Dif.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Fingerprinting;

/// <summary>Fits the U-Net fingerprint to cached residuals with the method's pairwise contrastive loss
/// (docs/method.md §2.4), then calibrates scores. Residuals are computed once by the caller and passed in; the
/// published code recomputes them at every step, which costs ~50× more. Deterministic on CPU for a
/// seed; a run interrupted after a checkpoint and resumed ends with the same fingerprint.</summary>
public sealed class FingerprintFitter(FingerprintFitOptions? options = null)
{
    private readonly FingerprintFitOptions options = Validated(options ?? new FingerprintFitOptions());

    private static FingerprintFitOptions Validated(FingerprintFitOptions o) { o.Validate(); return o; }

    /// <summary>Fits on real and generated residuals (3×S×S each). A share of each class
    /// (<see cref="FingerprintFitOptions.CalibrationFraction"/>) is held out to calibrate probabilities.</summary>
    /// <param name="real">Residuals of real images.</param>
    /// <param name="fake">Residuals of images of the generative model.</param>
    /// <param name="size">Crop size S.</param>
    /// <param name="denoiserIdentity">Identity of the denoiser that made the residuals, recorded in the fingerprint.</param>
    /// <param name="progress">Receives one report per epoch.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public Fingerprint Fit(IReadOnlyList<float[]> real, IReadOnlyList<float[]> fake, int size, string? denoiserIdentity = null,
                           IProgress<FingerprintFitProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (real.Count == 0 || fake.Count == 0)
            throw new DifException($"Fitting a fingerprint needs real and generated images (got {real.Count} real, {fake.Count} generated).");
        int length = 3 * size * size;
        CheckResiduals(real, "real", length);
        CheckResiduals(fake, "generated", length);

        var (fitReal, calReal) = SplitForCalibration(real, 1);
        var (fitFake, calFake) = SplitForCalibration(fake, 2);
        bool heldOut = calReal.Count > 0 && calFake.Count > 0;
        if (!heldOut) { fitReal = real; fitFake = fake; }

        var fitted = FitPattern(fitReal, fitFake, size, progress, cancellationToken);
        var provisional = new Fingerprint(fitted.Pattern, size, fitted.RealCentre, fitted.FakeCentre, new ScoreCalibration(1, ScoreCalibration.Training, 0), denoiserIdentity);
        var calibrateReal = heldOut ? calReal : fitReal;
        var calibrateFake = heldOut ? calFake : fitFake;
        var scores = calibrateReal.Concat(calibrateFake).Select(provisional.Score).ToList();
        var labels = calibrateReal.Select(_ => false).Concat(calibrateFake.Select(_ => true)).ToList();
        var calibration = ScoreCalibration.Fit(scores, labels, heldOut ? ScoreCalibration.HeldOut : ScoreCalibration.Training);
        var summary = new FingerprintSummary(options.EpochsFor(fitReal.Count + fitFake.Count), fitReal.Count, fitFake.Count, options.Seed, options.Boost,
                                             fitted.Last.Loss, fitted.Last.RealCorrelation, fitted.Last.FakeCorrelation);
        return new Fingerprint(fitted.Pattern, size, fitted.RealCentre, fitted.FakeCentre, calibration, denoiserIdentity, summary);
    }

    /// <summary>Length and finiteness of every residual, in one pass (a spilled set is read from disk once here).
    /// One NaN would turn every correlation, the loss and the fingerprint into NaN.</summary>
    private static void CheckResiduals(IReadOnlyList<float[]> residuals, string what, int length)
    {
        for (int k = 0; k < residuals.Count; k++)
        {
            var r = residuals[k];
            if (r is null || r.Length != length) throw new ArgumentException($"Every residual must hold {length} values (3×S×S); {what} residual {k} does not.");
            int bad = Correlation.FirstNonFinite(r);
            if (bad >= 0) throw new DifException($"Residual {k} of the {what} images holds a non-finite value (NaN or infinity) at index {bad}; a fingerprint cannot be fitted on it.");
        }
    }

    /// <summary>Splits off a seeded share of one class for calibration, or nothing when the class cannot spare two images.</summary>
    private (IReadOnlyList<float[]> Fit, IReadOnlyList<float[]> Calibrate) SplitForCalibration(IReadOnlyList<float[]> items, int stream)
    {
        int held = (int)Math.Round(items.Count * options.CalibrationFraction);
        if (held < 2 || items.Count - held < 2) return (items, []);
        var order = Enumerable.Range(0, items.Count).ToArray();
        new Random(StepSeeds.Of(options.Seed, stream, 5)).Shuffle(order);
        var calibrate = RowView.Pick(items, order.Take(held).Order().ToArray());
        var fit = RowView.Pick(items, order.Skip(held).Order().ToArray());
        return (fit, calibrate);
    }

    private sealed record PatternFit(float[] Pattern, double RealCentre, double FakeCentre, FingerprintFitProgress Last);

    /// <summary>The contrastive fit proper: F_E and the class centres.</summary>
    private PatternFit FitPattern(IReadOnlyList<float[]> real, IReadOnlyList<float[]> fake, int size,
                                  IProgress<FingerprintFitProgress>? progress, CancellationToken cancellationToken)
    {
        var o = options;
        int length = 3 * size * size;
        var device = DeviceSpec.Resolve(o.Device);
        torch.manual_seed(o.Seed);
        using var net = FingerprintNetworks.Create(o.Architecture);
        net.to(device);
        using var adam = new AdamW(net, o.LearningRate, o.WeightDecay);
        using var noiseScale = Scalars.Of(o.NoiseScale);
        using var jitter = Scalars.Of(o.NoiseJitter);
        using var z = torch.rand(FingerprintNetworks.InputShape(o.Architecture, size), generator: null).mul_(noiseScale).to(device);

        // Rows are looked up by index, never copied out: a spilled set (ResidualFile) stays on disk.
        var all = RowView.Concat(real, fake);
        bool IsGenerated(int i) => i >= real.Count;
        int batch = o.BatchFor(all.Count);
        int epochs = o.EpochsFor(all.Count);
        var state = new FitState { RunKey = FingerprintCheckpoint.RunKey(o, size, real, fake) };
        if (o.Resume && o.CheckpointPath is { } resumeFrom && File.Exists(resumeFrom))
            FingerprintCheckpoint.Load(resumeFrom, state, net, adam, z, device);
        // Every residual standardised once: ρ(F, R_i) is then one row of a matrix-vector product, so a
        // step neither copies its batch nor allocates batch-sized temporaries (unless the set is spilled to disk).
        using var standardised = StandardisedResiduals.Create(all, length, device, o.MaxResidualBytes, o.SpillFolder);
        using var lengthScalar = Scalars.Of(length);

        using var emaKeep = Scalars.Of(o.EmaDecay);
        using var emaTake = Scalars.Of(1 - o.EmaDecay);
        using var margin = Scalars.Of(o.Margin);
        using var two = Scalars.Of(2);
        FingerprintFitProgress? last = null;
        try
        {
            int stepsPerEpoch = o.StepsPerEpoch(all.Count);
            for (int epoch = state.Epoch; epoch < epochs; epoch++)
            {
                var order = Enumerable.Range(0, all.Count).ToArray();
                new Random(StepSeeds.Of(o.Seed, epoch, 3)).Shuffle(order);
                double lossSum = 0, realSum = 0, fakeSum = 0;
                int steps = 0;
                for (int k = 0; k < stepsPerEpoch; k++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long step = (long)epoch * stepsPerEpoch + k;
                    var idx = order.AsSpan(k * batch, batch).ToArray();
                    var labels = idx.Select(IsGenerated).ToArray();
                    using var scope = NewDisposeScope();
                    net.train();
                    using var gen = new torch.Generator((ulong)StepSeeds.Of(o.Seed, step, 4));
                    var f = net.forward(z.Plus(torch.randn(z.shape, generator: gen).mul_(jitter).to(device)));
                    var rho = standardised.Correlations(f.reshape(1, length), idx, lengthScalar);
                    var loss = ContrastiveLoss(rho, labels, margin, device);
                    if (o.Boost && BoostLoss(f.reshape(1, length), idx.Select(i => (all[i], IsGenerated(i))).ToList(), margin, device) is { } boost)
                        loss = loss.Plus(boost).div(two);
                    adam.ZeroGrad();
                    loss.backward();
                    adam.Step();
                    using (torch.no_grad())
                    {
                        var fd = f.detach();
                        if (state.Ema is null) state.Ema = fd.clone().DetachFromDisposeScope();
                        else state.Ema.mul_(emaKeep).add_(fd, alpha: emaTake);
                        var rhoE = standardised.Correlations(state.Ema.reshape(1, length), idx, lengthScalar).cpu().data<float>().ToArray();
                        var (r, q) = ClassMeans(rhoE, labels);
                        if (r is { } rr) { state.RealLog.Add(rr); realSum += rr; }
                        if (q is { } qq) { state.FakeLog.Add(qq); fakeSum += qq; }
                    }
                    lossSum += loss.item<float>();
                    steps++;
                }
                state.Epoch = epoch + 1;
                state.TrimLogs(o.CentreWindow);
                last = new FingerprintFitProgress(epoch + 1, epochs, lossSum / steps, realSum / steps, fakeSum / steps);
                progress?.Report(last);
                if (o.CheckpointPath is { } checkpoint && (state.Epoch % o.CheckpointEvery == 0 || state.Epoch == epochs))
                    FingerprintCheckpoint.Save(checkpoint, state, net, adam, z);
            }
            if (state.Ema is null || state.RealLog.Count == 0 || state.FakeLog.Count == 0)
                throw new DifException("The fit logged no correlations (no steps ran).");
            var pattern = state.Ema.cpu().reshape(length).data<float>().ToArray();
            last ??= new FingerprintFitProgress(state.Epoch, epochs, double.NaN, state.RealLog[^1], state.FakeLog[^1]);
            return new PatternFit(pattern, state.RealLog.TakeLast(o.CentreWindow).Average(), state.FakeLog.TakeLast(o.CentreWindow).Average(), last);
        }
        finally { state.Ema?.Dispose(); }
    }

    /// <summary>docs/method.md §2.4 step 3: pair the first half with the second; equal labels pull ρ together,
    /// different labels push them at least the margin apart; mean over pairs, divided by the margin.</summary>
    private static Tensor ContrastiveLoss(Tensor rho, bool[] labels, Scalar margin, Device device)
    {
        int half = labels.Length / 2;
        var d = rho[..half].Minus(rho[half..(2 * half)]).abs();
        var differ = torch.tensor(Enumerable.Range(0, half).Select(k => labels[k] != labels[k + half] ? 1f : 0f).ToArray()).to(device);
        var same = torch.ones_like(differ).Minus(differ);
        var m = torch.full_like(d, margin);
        return same.mul(d).Plus(differ.mul(nn.functional.relu(m.Minus(d)))).mean().div(margin);
    }

    /// <summary>The optional boost term: max(0, m − |ρ(F, mean generated R) − ρ(F, mean real R)|)/m over
    /// the batch's class means; null when the batch holds only one class.</summary>
    private static Tensor? BoostLoss(Tensor f, IReadOnlyList<(float[] r, bool Label)> batch, Scalar margin, Device device)
    {
        var fakes = batch.Where(b => b.Label).Select(b => b.r).ToList();
        var reals = batch.Where(b => !b.Label).Select(b => b.r).ToList();
        if (fakes.Count == 0 || reals.Count == 0) return null;
        var meanFake = torch.tensor(Dif.Imaging.Spectrum.Mean(fakes), [1, f.shape[1]]).to(device);
        var meanReal = torch.tensor(Dif.Imaging.Spectrum.Mean(reals), [1, f.shape[1]]).to(device);
        var gap = Pearson(f, meanFake).Minus(Pearson(f, meanReal)).abs();
        return nn.functional.relu(torch.full_like(gap, margin).Minus(gap)).mean().div(margin);
    }

    /// <summary>Residuals (N of them, L values each) as one N×L tensor, each row standardised by its mean and
    /// standard deviation (+1e-8), as docs/method.md §2.4's Pearson correlation does.</summary>
    internal static Tensor Standardise(IReadOnlyList<float[]> residuals, int length, Device device)
    {
        var result = torch.empty([residuals.Count, length], device: device);
        using (torch.no_grad())
            for (int i = 0; i < residuals.Count; i++)
            {
                using var scope = NewDisposeScope();
                result[i].copy_(StandardiseRows(torch.tensor(residuals[i], [1, length]).to(device)).reshape(length));
            }
        return result;
    }

    /// <summary>ρ between a pattern (1×L) and every row of already standardised residuals (N×L): the mean of
    /// the product of standardised values, as a matrix-vector product (differentiable in the pattern).</summary>
    internal static Tensor Correlations(Tensor standardised, Tensor pattern, Scalar length)
    {
        using var scope = NewDisposeScope();
        var p = StandardiseRows(pattern);
        return standardised.matmul(p.reshape(pattern.shape[1], 1)).reshape(standardised.shape[0]).div(length).MoveToOuterDisposeScope();
    }

    private static (double? Real, double? Fake) ClassMeans(float[] rho, bool[] labels)
    {
        double r = 0, q = 0;
        int nr = 0, nq = 0;
        for (int k = 0; k < labels.Length; k++)
        {
            if (labels[k]) { q += rho[k]; nq++; }
            else { r += rho[k]; nr++; }
        }
        return (nr > 0 ? r / nr : null, nq > 0 ? q / nq : null);
    }

    /// <summary>ρ between one pattern (1×L) and each row of <paramref name="rows"/> (N×L), as docs/method.md §2.4:
    /// standardise by mean and std (+1e-8), mean of the product.</summary>
    internal static Tensor Pearson(Tensor pattern, Tensor rows)
    {
        using var scope = NewDisposeScope();
        return StandardiseRows(rows).mul(StandardiseRows(pattern)).mean([1]).MoveToOuterDisposeScope();
    }

    /// <summary>Each row minus its mean, divided by its (population) standard deviation + 1e-8: the one
    /// standardisation every correlation here uses.</summary>
    private static Tensor StandardiseRows(Tensor rows)
    {
        using var eps = Scalars.Of(Correlation.Epsilon);
        return rows.Minus(rows.mean([1], keepdim: true)).div(rows.std(1, unbiased: false, keepdim: true).Plus(eps));
    }
}

/// <summary>What a fit carries from epoch to epoch besides the network and optimiser.</summary>
internal sealed class FitState
{
    public required string RunKey { get; init; }
    public int Epoch { get; set; }
    public Tensor? Ema { get; set; }
    public List<double> RealLog { get; } = [];
    public List<double> FakeLog { get; } = [];

    /// <summary>Only the last window of logged means feeds the centres; older ones need not be kept.</summary>
    public void TrimLogs(int window)
    {
        if (RealLog.Count > window) RealLog.RemoveRange(0, RealLog.Count - window);
        if (FakeLog.Count > window) FakeLog.RemoveRange(0, FakeLog.Count - window);
    }
}
