namespace Dif.Denoising;

/// <summary>How to train a DnCNN denoiser. Defaults are the project's recipe (docs/reference.md, "The default
/// denoiser"); where they depart from the published one (lr 1e-4, 2000 epochs) the property says why.</summary>
public sealed class DenoiserTrainingOptions
{
    /// <summary>Side of the random training crops (published: 48).</summary>
    public int PatchSize { get; set; } = 48;

    /// <summary>Crops per step.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Smallest Gaussian noise σ, on the 0–255 scale (published: 5).</summary>
    public double SigmaMin { get; set; } = 5;

    /// <summary>Largest Gaussian noise σ, on the 0–255 scale (published: 15).</summary>
    public double SigmaMax { get; set; } = 15;

    /// <summary>Noise curriculum: training starts with σ in [WarmupSigmaMin, WarmupSigmaMax] and
    /// anneals to [SigmaMin, SigmaMax]. Strong noise dominates the first features, so the network
    /// leaves the "predict zero" plateau within ~100 steps instead of ~1000 (docs/reference.md, "The default
    /// denoiser"). Set WarmupFraction to 0 for the published recipe's fixed range.</summary>
    public double WarmupSigmaMin { get; set; } = 40;

    /// <summary>Upper σ of the warm-up range (0–255 scale).</summary>
    public double WarmupSigmaMax { get; set; } = 60;

    /// <summary>Fraction of the steps trained at the warm-up range.</summary>
    public double WarmupFraction { get; set; } = 0.1;

    /// <summary>Fraction of the steps by which the range has annealed linearly to [SigmaMin, SigmaMax].</summary>
    public double AnnealEndFraction { get; set; } = 0.5;

    /// <summary>Adam learning rate. Published: 1e-4 over 2000 epochs on a GPU; on a CPU budget 1e-3
    /// with identity initialisation reaches the quality bar in far fewer steps (docs/reference.md).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Learning rate at the end of training, reached by cosine decay.</summary>
    public double FinalLearningRate { get; set; } = 1e-5;

    /// <summary>Optimisation steps.</summary>
    public int Steps { get; set; } = 3000;

    /// <summary>Start the middle convs as identity (Dirac) kernels, so the 17-layer net starts as a
    /// shallow one and leaves the "predict zero" plateau quickly (docs/method.md §2.2 measured ~1000 steps of
    /// plateau with the default init).</summary>
    public bool IdentityInitialisation { get; set; }

    /// <summary>Make the first layer's kernels zero-mean (high-pass) at initialisation.</summary>
    public bool HighPassFirstLayer { get; set; } = true;

    /// <summary>Seed for initialisation, crops and noise.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Device: auto, cpu, cuda or cuda:N.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Write a checkpoint every this many steps (0: never).</summary>
    public int CheckpointEvery { get; set; } = 250;

    /// <summary>Checkpoint file; resuming continues from it when it exists.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Report validation PSNR every this many steps (0: only at the end).</summary>
    public int ValidateEvery { get; set; } = 250;

    /// <summary>Side S of the bias pattern F_DnCNN computed after training.</summary>
    public int BiasCropSize { get; set; } = 256;

    /// <summary>Number of S×S crops of the training images averaged into F_DnCNN.</summary>
    public int BiasCrops { get; set; } = 96;

    /// <summary>Throws <see cref="ArgumentException"/> for values out of range.</summary>
    public void Validate()
    {
        if (PatchSize < 8) throw new ArgumentException("PatchSize must be at least 8.");
        if (BatchSize < 1) throw new ArgumentException("BatchSize must be at least 1.");
        if (SigmaMin < 0 || SigmaMax < SigmaMin) throw new ArgumentException("Need 0 ≤ SigmaMin ≤ SigmaMax.");
        if (LearningRate <= 0 || FinalLearningRate < 0) throw new ArgumentException("Learning rates must be positive.");
        if (Steps < 1) throw new ArgumentException("Steps must be at least 1.");
        if (BiasCropSize <= 0 || BiasCropSize % 16 != 0) throw new ArgumentException("BiasCropSize must be a positive multiple of 16.");
        if (BiasCrops < 1) throw new ArgumentException("BiasCrops must be at least 1.");
        if (WarmupFraction < 0 || AnnealEndFraction < WarmupFraction || AnnealEndFraction > 1)
            throw new ArgumentException("Need 0 ≤ WarmupFraction ≤ AnnealEndFraction ≤ 1.");
        if (WarmupSigmaMin < 0 || WarmupSigmaMax < WarmupSigmaMin) throw new ArgumentException("Need 0 ≤ WarmupSigmaMin ≤ WarmupSigmaMax.");
    }
}

/// <summary>Progress of a denoiser training run.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Loss">Mean loss over the steps since the last report (sum-squared-error / 2 per patch, as DnCNN reports it).</param>
/// <param name="LearningRate">Current learning rate.</param>
/// <param name="Elapsed">Wall time since this run started.</param>
/// <param name="ValidationPsnrGain">Held-out PSNR gain in dB at σ=15, when measured at this step.</param>
public sealed record DenoiserTrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, TimeSpan Elapsed, double? ValidationPsnrGain);
