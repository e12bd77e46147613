using Dif.Denoising;
using Dif.Evaluation;
using Dif.Persistence;

namespace Dif.Tests.Evaluation;

public sealed class GeneratorCheckpointTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private TrainingPhotos Photos() => TrainingPhotos.Load([files.Png("a.png", 64, 64, seed: 1), files.Png("b.png", 64, 64, seed: 2)]);

    private static GeneratorTrainingOptions Short(int checkpointEvery = 0) =>
        new() { Steps = 6, PatchSize = 16, BatchSize = 2, CheckpointEvery = checkpointEvery };

    private static float[] Weights(string path) => SafeTensors.Read(path).Tensors.Values.SelectMany(t => t.ToFloats()).ToArray();

    [Fact]
    public void Checkpoints_are_snapshots_of_one_run_and_the_last_equals_an_uninterrupted_run()
    {
        var photos = Photos();
        var folder = Path.Combine(files.Root, "checkpoints");
        Directory.CreateDirectory(folder);
        var steps = new List<int>();
        using (var run = Generator.Create("g", Upsampling.TransposedConv, seed: 1))
            run.Train(photos, Short(checkpointEvery: 2), checkpoint: step =>
            {
                steps.Add(step);
                run.Save(Path.Combine(folder, GeneratorFamily.CheckpointName("g", step) + ".safetensors"), GeneratorFamily.CheckpointName("g", step));
            });
        var plain = Path.Combine(files.Root, "plain.safetensors");
        using (var g = Generator.Create("g", Upsampling.TransposedConv, seed: 1))
        {
            g.Train(photos, Short());
            g.Save(plain);
        }

        Assert.Equal([2, 4, 6], steps);
        Assert.Equal(Weights(plain), Weights(Path.Combine(folder, "g@0006.safetensors")));
        Assert.NotEqual(Weights(plain), Weights(Path.Combine(folder, "g@0002.safetensors")));
        using var loaded = Generator.Load(Path.Combine(folder, "g@0004.safetensors"));
        Assert.Equal("g@0004", loaded.Name);
        Assert.Contains("\"steps\":4", loaded.Metadata["training"]);
    }
}
