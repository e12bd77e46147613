using Dif.Denoising;

namespace Dif.Evaluation;

/// <summary>The standard evaluation generators and the recipe that makes them (docs/accuracy.md,
/// "Evaluation data"): three up-sampling kinds, four fine-tuned children of the transposed-conv parent and
/// an unrelated twin of it (same architecture, another seed) for lineage.</summary>
public static class GeneratorFamily
{
    /// <summary>Parent: transposed-conv decoder.</summary>
    public const string TransposedConv = "tconv";
    /// <summary>Bilinear + conv decoder.</summary>
    public const string Bilinear = "bilinear";
    /// <summary>Nearest-neighbour + conv decoder.</summary>
    public const string Nearest = "nearest";
    /// <summary>The parent fine-tuned further on other photos.</summary>
    public const string Child = "tconv-child";
    /// <summary>Same architecture as the parent, another seed.</summary>
    public const string Twin = "tconv-twin";
    /// <summary>The parent fine-tuned on the child's photos the usual way, at a tenth of the learning rate.</summary>
    public const string Tuned = "tconv-tuned";
    /// <summary>The parent fine-tuned at a tenth of the learning rate on its own colour photos only: a light,
    /// in-domain fine-tune.</summary>
    public const string Colour = "tconv-colour";

    /// <summary>The parent's encoder fine-tuned the way the <see cref="Child"/> is (its photos, the training rate),
    /// with the decoder frozen: how DreamBooth-style fine-tunes of a latent diffusion model change its denoiser
    /// and keep its VAE decoder.</summary>
    public const string FrozenDecoder = "tconv-frozen";

    /// <summary>All names, parent first.</summary>
    public static IReadOnlyList<string> Names { get; } = [TransposedConv, Bilinear, Nearest, Child, Twin, Tuned, Colour, FrozenDecoder];

    /// <summary>The members fine-tuned from the parent.</summary>
    private static readonly string[] Children = [Child, Tuned, Colour, FrozenDecoder];

    /// <summary>The parent's colour photos (its third, camera.png, is gray): what <see cref="Colour"/> is fine-tuned on.</summary>
    public static IReadOnlyList<string> ColourPhotos { get; } = ["astronaut.png", "coffee.png"];

    /// <summary>How much lower the tuned child's learning rate is than the parent's. Fine-tuning at the
    /// training rate (the <see cref="Child"/>) on gray textures changed the parent's colours and strengthened its
    /// checkerboard: a child that any fingerprint flags. A tenth is the common fine-tuning practice.</summary>
    public const double FineTuneRateFactor = 0.1;

    /// <summary>Training steps of the bundled parents (children get half).</summary>
    public const int DefaultSteps = 1500;

    /// <summary>Photos (file names in the denoiser-training folder) the parents learn to reconstruct.</summary>
    public static IReadOnlyList<string> ParentPhotos { get; } = ["astronaut.png", "coffee.png", "camera.png"];

    /// <summary>Photos the child is fine-tuned on.</summary>
    public static IReadOnlyList<string> ChildPhotos { get; } = ["brick.png", "gravel.png", "cell.png"];

    /// <summary>Trains the family (or the members named in <paramref name="only"/>) from the photos in
    /// <paramref name="photoFolder"/> and writes <c>NAME.safetensors</c> files into <paramref name="outputFolder"/>.
    /// Deterministic. A child trained without its parent fine-tunes the parent already in the output folder.</summary>
    public static void Train(string photoFolder, string outputFolder, int steps = DefaultSteps, int childSteps = DefaultSteps / 2,
                             IProgress<string>? progress = null, CancellationToken cancellationToken = default,
                             IReadOnlyCollection<string>? only = null)
    {
        var wanted = only ?? Names;
        foreach (var name in wanted)
            if (!Names.Contains(name)) throw new ArgumentException($"'{name}' is not an evaluation generator (known: {string.Join(", ", Names)}).", nameof(only));
        Directory.CreateDirectory(outputFolder);
        TrainingPhotos Photos(IEnumerable<string> names) => TrainingPhotos.Load(names.Select(p => Path.Combine(photoFolder, p)));
        var parentPhotos = Photos(ParentPhotos);
        var childPhotos = Photos(ChildPhotos);
        var colourPhotos = Photos(ColourPhotos);
        var options = new GeneratorTrainingOptions { Steps = steps, Seed = 1 };
        GeneratorTrainingOptions FineTune(double rateFactor = 1, bool freezeDecoder = false)
            => new() { Steps = childSteps, Seed = 3, LearningRate = options.LearningRate * rateFactor, FreezeDecoder = freezeDecoder };

        void Fit(Generator g, TrainingPhotos photos, GeneratorTrainingOptions o)
        {
            g.Train(photos, o, new Progress<(int Step, double Loss)>(r => progress?.Report($"{g.Name}: step {r.Step}/{o.Steps} L1 {r.Loss:F4}")), cancellationToken);
            g.Save(Path.Combine(outputFolder, g.Name + ".safetensors"));
            progress?.Report($"{g.Name}: saved");
        }

        void Make(string name, Func<Generator> create, TrainingPhotos photos, GeneratorTrainingOptions o)
        {
            if (!wanted.Contains(name)) return;
            using var g = create();
            Fit(g, photos, o);
        }

        // The parent is needed by its children even when it is not retrained.
        Generator? parent = null;
        try
        {
            if (wanted.Contains(TransposedConv))
            {
                parent = Generator.Create(TransposedConv, Upsampling.TransposedConv, seed: 1);
                Fit(parent, parentPhotos, options);
            }
            else if (wanted.Any(Children.Contains))
            {
                var path = Path.Combine(outputFolder, TransposedConv + ".safetensors");
                if (!File.Exists(path)) throw new FileNotFoundException($"Training a child of {TransposedConv} alone needs the parent {path}; train {TransposedConv} too.", path);
                parent = Generator.Load(path);
            }
            Make(Bilinear, () => Generator.Create(Bilinear, Upsampling.Bilinear, seed: 1), parentPhotos, options);
            Make(Nearest, () => Generator.Create(Nearest, Upsampling.NearestConv, seed: 1), parentPhotos, options);
            Make(Child, () => parent!.Derive(Child), childPhotos, FineTune());
            Make(Twin, () => Generator.Create(Twin, Upsampling.TransposedConv, seed: 2), parentPhotos, new GeneratorTrainingOptions { Steps = steps, Seed = 2 });
            Make(Tuned, () => parent!.Derive(Tuned), childPhotos, FineTune(FineTuneRateFactor));
            Make(Colour, () => parent!.Derive(Colour), colourPhotos, FineTune(FineTuneRateFactor));
            Make(FrozenDecoder, () => parent!.Derive(FrozenDecoder), childPhotos, FineTune(freezeDecoder: true));
        }
        finally { parent?.Dispose(); }
    }

    /// <summary>The name of the checkpoint of run <paramref name="run"/> after <paramref name="step"/> steps,
    /// e.g. <c>tconv@0300</c>.</summary>
    public static string CheckpointName(string run, int step) => FormattableString.Invariant($"{run}@{step:D4}");

    /// <summary>Checkpoint lineage (supplement Fig. H): trains the transposed-conv parent again with its own
    /// recipe (seed 1, parent photos) and writes a snapshot every <paramref name="every"/> steps as
    /// <c>tconv@STEP.safetensors</c> into <paramref name="outputFolder"/>. With the parent's step count the
    /// last snapshot has the parent's weights. Returns the checkpoint names in training order.</summary>
    public static IReadOnlyList<string> TrainCheckpoints(string photoFolder, string outputFolder, int steps, int every,
                                                         IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        if (every < 1 || every > steps) throw new ArgumentException($"every must be in 1..{steps} (got {every}).", nameof(every));
        Directory.CreateDirectory(outputFolder);
        var photos = TrainingPhotos.Load(ParentPhotos.Select(p => Path.Combine(photoFolder, p)));
        var names = new List<string>();
        using var run = Generator.Create(TransposedConv, Upsampling.TransposedConv, seed: 1);
        run.Train(photos, new GeneratorTrainingOptions { Steps = steps, Seed = 1, CheckpointEvery = every },
            new Progress<(int Step, double Loss)>(r => progress?.Report($"{run.Name}: step {r.Step}/{steps} L1 {r.Loss:F4}")),
            cancellationToken,
            step =>
            {
                var name = CheckpointName(run.Name, step);
                run.Save(Path.Combine(outputFolder, name + ".safetensors"), name);
                names.Add(name);
                progress?.Report($"{name}: saved");
            });
        return names;
    }
}
