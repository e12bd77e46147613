namespace Dif.Fingerprinting;

/// <summary>How a fingerprint is fitted (docs/method.md §2.4). Defaults are the method's.</summary>
public sealed class FingerprintFitOptions
{
    /// <summary>Passes over the training residuals (at least; see <see cref="MinSteps"/>).</summary>
    public int Epochs { get; set; } = DefaultEpochs;
    /// <summary>The method's epoch count, the default of <see cref="Epochs"/>.</summary>
    public const int DefaultEpochs = 100;
    /// <summary>Fewest optimisation steps a fit runs, whatever the set size: the fit runs
    /// max(<see cref="Epochs"/>, ⌈MinSteps / steps per epoch⌉) epochs. The method's 100 epochs of batch 64 were set
    /// for hundreds of images per class; with 20 images an epoch is a single step, and 100 steps leave the
    /// fingerprint half-learnt (docs/accuracy.md, "A fit that works on small sets"). 0 turns the budget off.</summary>
    public int MinSteps { get; set; } = DefaultMinSteps;
    /// <summary>The default of <see cref="MinSteps"/>.</summary>
    public const int DefaultMinSteps = 400;
    /// <summary>Residuals per step (pairs are first half × second half).</summary>
    public int BatchSize { get; set; } = 64;
    /// <summary>AdamW learning rate.</summary>
    public double LearningRate { get; set; } = 5e-4;
    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; set; } = 0.01;
    /// <summary>Contrastive margin m.</summary>
    public double Margin { get; set; } = 0.01;
    /// <summary>Scale of the fixed noise input: Z = NoiseScale·U[0,1).</summary>
    public double NoiseScale { get; set; } = 0.1;
    /// <summary>Standard deviation of the fresh noise added to Z at every step.</summary>
    public double NoiseJitter { get; set; } = 0.03;
    /// <summary>Decay of the exponential moving average that is the fingerprint.</summary>
    public double EmaDecay { get; set; } = 0.99;
    /// <summary>Logged batch means averaged into the class centres.</summary>
    public int CentreWindow { get; set; } = 20;
    /// <summary>Add the optional "boost" term (off in the method's default).</summary>
    public bool Boost { get; set; }
    /// <summary>The network g_θ: the method's U-Net or a variant of the supplement's Table C (architecture ablation).</summary>
    public FingerprintArchitecture Architecture { get; set; } = FingerprintArchitecture.UNet;
    /// <summary>Seed of Z, the network's initial weights, shuffling and jitter.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Device: auto, cpu, cuda or cuda:N.</summary>
    public string Device { get; set; } = "auto";
    /// <summary>Share of each class held out from fitting to calibrate probabilities on (0 calibrates on
    /// the training images themselves, which makes probabilities over-confident). When a class is too
    /// small to spare two images, calibration falls back to the training images and the file says so.</summary>
    public double CalibrationFraction { get; set; } = 0.2;
    /// <summary>A checkpoint file written every <see cref="CheckpointEvery"/> epochs (null: none).</summary>
    public string? CheckpointPath { get; set; }
    /// <summary>Epochs between checkpoints.</summary>
    public int CheckpointEvery { get; set; } = 10;
    /// <summary>Continue from <see cref="CheckpointPath"/> if it exists (it must be of the same data and options).</summary>
    public bool Resume { get; set; }
    /// <summary>Most bytes of standardised residuals (N·3·S²·4) the fitter holds in memory. A larger set is
    /// spilled to a temporary file in <see cref="SpillFolder"/> and each step reads its batch from there (slower,
    /// same result). Default: a quarter of the memory available to the process.</summary>
    public long MaxResidualBytes { get; set; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;
    /// <summary>Folder for spilled residuals (null: the system's temporary folder).</summary>
    public string? SpillFolder { get; set; }

    /// <summary>Epochs a fit of <paramref name="trainingImages"/> residuals (both classes) runs: <see cref="Epochs"/>,
    /// or more where that would be fewer than <see cref="MinSteps"/> steps.</summary>
    public int EpochsFor(int trainingImages)
    {
        int stepsPerEpoch = StepsPerEpoch(trainingImages);
        return Math.Max(Epochs, (MinSteps + stepsPerEpoch - 1) / stepsPerEpoch);
    }

    /// <summary>Steps per epoch for <paramref name="trainingImages"/> residuals: whole batches (of an even size, at most the set).</summary>
    public int StepsPerEpoch(int trainingImages) => Math.Max(1, trainingImages / BatchFor(trainingImages));

    /// <summary>The batch a fit of <paramref name="trainingImages"/> residuals uses: <see cref="BatchSize"/>, or the
    /// whole set when it is smaller, made even (residuals are paired).</summary>
    public int BatchFor(int trainingImages) => Math.Max(2, Math.Min(BatchSize, trainingImages) / 2 * 2);

    /// <summary>Throws <see cref="ArgumentException"/> for values out of range.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException("Epochs must be at least 1.");
        if (MinSteps < 0) throw new ArgumentException("MinSteps must not be negative.");
        if (BatchSize < 2) throw new ArgumentException("BatchSize must be at least 2 (residuals are paired).");
        if (LearningRate <= 0 || WeightDecay < 0 || Margin <= 0) throw new ArgumentException("LearningRate and Margin must be positive, WeightDecay not negative.");
        if (EmaDecay is < 0 or >= 1) throw new ArgumentException("EmaDecay must be in [0, 1).");
        if (CentreWindow < 1) throw new ArgumentException("CentreWindow must be at least 1.");
        if (CalibrationFraction is < 0 or >= 1 || double.IsNaN(CalibrationFraction)) throw new ArgumentException("CalibrationFraction must be in [0, 1).");
        if (CheckpointEvery < 1) throw new ArgumentException("CheckpointEvery must be at least 1.");
        if (!Enum.IsDefined(Architecture)) throw new ArgumentException($"Unknown architecture {Architecture}.");
        if (Resume && CheckpointPath is null) throw new ArgumentException("Resume needs a CheckpointPath.");
        if (MaxResidualBytes < 1) throw new ArgumentException("MaxResidualBytes must be positive.");
    }
}

/// <summary>Progress of a fit, reported once per epoch.</summary>
/// <param name="Epoch">Epochs done.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="Loss">Mean contrastive loss over the epoch.</param>
/// <param name="RealCorrelation">Mean ρ(F_E, R) over the epoch's real residuals.</param>
/// <param name="FakeCorrelation">Mean ρ(F_E, R) over the epoch's generated residuals.</param>
public sealed record FingerprintFitProgress(int Epoch, int Epochs, double Loss, double RealCorrelation, double FakeCorrelation);
