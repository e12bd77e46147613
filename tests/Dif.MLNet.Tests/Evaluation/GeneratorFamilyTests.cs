using Dif.Evaluation;
using Dif.Persistence;

namespace Dif.Tests.Evaluation;

public sealed class GeneratorFamilyTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    /// <summary>A photo folder with the family's photo names (small random pictures).</summary>
    private string Photos()
    {
        int seed = 1;
        Directory.CreateDirectory(files.PathOf("photos"));
        foreach (var name in GeneratorFamily.ParentPhotos.Concat(GeneratorFamily.ChildPhotos))
            files.Png(Path.Combine("photos", name), 64, 64, seed++);
        return Path.Combine(files.Root, "photos");
    }

    private static float[] Weights(string path) => SafeTensors.Read(path).Tensors.Values.SelectMany(t => t.ToFloats()).ToArray();

    [Fact]
    public void A_child_trained_alone_fine_tunes_the_parent_on_disk_exactly_as_when_trained_with_it()
    {
        var photos = Photos();
        string together = Path.Combine(files.Root, "together"), alone = Path.Combine(files.Root, "alone");
        GeneratorFamily.Train(photos, together, steps: 2, childSteps: 2, only: [GeneratorFamily.TransposedConv, GeneratorFamily.Tuned]);
        Directory.CreateDirectory(alone);
        File.Copy(Path.Combine(together, "tconv.safetensors"), Path.Combine(alone, "tconv.safetensors"));

        GeneratorFamily.Train(photos, alone, steps: 2, childSteps: 2, only: [GeneratorFamily.Tuned]);

        Assert.Equal(Weights(Path.Combine(together, "tconv-tuned.safetensors")), Weights(Path.Combine(alone, "tconv-tuned.safetensors")));
        Assert.False(File.Exists(Path.Combine(alone, "tconv-child.safetensors")));
        using var tuned = Generator.Load(Path.Combine(alone, "tconv-tuned.safetensors"));
        Assert.Equal("tconv", tuned.Metadata["parent"]);
        Assert.Contains("\"lr\":0.0001", tuned.Metadata["training"]);
    }

    [Fact]
    public void The_frozen_decoder_child_keeps_every_decoder_weight_of_its_parent_and_changes_its_encoder()
    {
        var folder = Path.Combine(files.Root, "family");
        GeneratorFamily.Train(Photos(), folder, steps: 2, childSteps: 3, only: [GeneratorFamily.TransposedConv, GeneratorFamily.FrozenDecoder]);
        var parent = SafeTensors.Read(Path.Combine(folder, "tconv.safetensors")).Tensors;
        var child = SafeTensors.Read(Path.Combine(folder, "tconv-frozen.safetensors")).Tensors;

        Assert.Equal(parent.Keys.Order(), child.Keys.Order());
        foreach (var (name, weights) in parent)
        {
            bool same = weights.ToFloats().SequenceEqual(child[name].ToFloats());
            Assert.True(name.StartsWith("encoder.") ? !same : same, $"{name}: {(same ? "unchanged" : "changed")}");
        }
        using var frozen = Generator.Load(Path.Combine(folder, "tconv-frozen.safetensors"));
        Assert.Contains("\"decoder\":\"frozen\"", frozen.Metadata["training"]);
    }

    [Fact]
    public void A_child_trained_alone_without_its_parent_names_the_missing_parent_file()
    {
        var e = Assert.Throws<FileNotFoundException>(() =>
            GeneratorFamily.Train(Photos(), Path.Combine(files.Root, "empty"), steps: 2, childSteps: 2, only: [GeneratorFamily.Child]));
        Assert.Contains("tconv.safetensors", e.Message);
    }

    [Fact]
    public void An_unknown_generator_name_is_refused_with_the_known_names()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            GeneratorFamily.Train(Photos(), Path.Combine(files.Root, "out"), only: ["tconv-grandchild"]));
        Assert.Contains("tconv-grandchild", e.Message);
        Assert.Contains(GeneratorFamily.Tuned, e.Message);
    }
}
