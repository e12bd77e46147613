using Dif.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Training;

/// <summary>Adam with decoupled weight decay (Loshchilov &amp; Hutter), written out so that its whole
/// state is a handful of tensors that checkpoints store in safetensors and restore exactly.
/// With <c>weightDecay = 0</c> it is plain Adam.</summary>
public sealed class AdamW : IDisposable
{
    private readonly nn.Module module;
    private readonly IReadOnlyList<(string Name, Tensor Param)> parameters;
    private readonly Tensor[] m, v;

    /// <summary>Creates the optimiser over all parameters of <paramref name="module"/>.</summary>
    public AdamW(nn.Module module, double learningRate, double weightDecay = 0,
                 double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        this.module = module;
        parameters = module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        m = parameters.Select(p => zeros_like(p.Param).requires_grad_(false)).ToArray();
        v = parameters.Select(p => zeros_like(p.Param).requires_grad_(false)).ToArray();
        ZeroGrad();
    }

    /// <summary>Current learning rate (schedules may change it between steps).</summary>
    public double LearningRate { get; set; }
    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; }
    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }
    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; }
    /// <summary>Steps taken.</summary>
    public long StepCount { get; private set; }

    /// <summary>Resets the gradients (to none, as PyTorch does by default).</summary>
    public void ZeroGrad() => module.zero_grad();

    /// <summary>One update from the current gradients.</summary>
    public void Step()
    {
        using var _ = no_grad();
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount), bc2 = 1 - Math.Pow(Beta2, StepCount);
        using var decay = Scalars.Of(1 - LearningRate * WeightDecay);
        using var beta1 = Scalars.Of(Beta1);
        using var oneMinusBeta1 = Scalars.Of(1 - Beta1);
        using var beta2 = Scalars.Of(Beta2);
        using var oneMinusBeta2 = Scalars.Of(1 - Beta2);
        using var sqrtBc2 = Scalars.Of(Math.Sqrt(bc2));
        using var eps = Scalars.Of(Eps);
        using var negStep = Scalars.Of(-LearningRate / bc1);
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i].Param;
            using var g = p.grad;
            if (g is null) continue;
            if (WeightDecay != 0) p.mul_(decay);
            m[i].mul_(beta1).add_(g, alpha: oneMinusBeta1);
            v[i].mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
            using var denom = v[i].sqrt();
            denom.div_(sqrtBc2).PlusInPlace(eps);
            p.addcdiv_(m[i], denom, value: negStep);
        }
    }

    /// <summary>The optimiser state as safetensors entries (prefix "optim.").</summary>
    public Dictionary<string, SafeTensor> ExportState()
    {
        var result = new Dictionary<string, SafeTensor>(StringComparer.Ordinal)
        {
            ["optim.step"] = SafeTensor.FromInt64([StepCount], 1),
        };
        for (int i = 0; i < parameters.Count; i++)
        {
            result[$"optim.m.{parameters[i].Name}"] = ModuleWeights.ToSafeTensor(m[i]);
            result[$"optim.v.{parameters[i].Name}"] = ModuleWeights.ToSafeTensor(v[i]);
        }
        return result;
    }

    /// <summary>Restores state written by <see cref="ExportState"/>.</summary>
    public void ImportState(IReadOnlyDictionary<string, SafeTensor> tensors, string? source)
    {
        using var _ = no_grad();
        if (!tensors.TryGetValue("optim.step", out var step)) throw new DifModelFileException(source, "checkpoint holds no optimiser state.");
        StepCount = step.ToInt64()[0];
        for (int i = 0; i < parameters.Count; i++)
        {
            Load(m[i], $"optim.m.{parameters[i].Name}");
            Load(v[i], $"optim.v.{parameters[i].Name}");
        }

        void Load(Tensor target, string name)
        {
            if (!tensors.TryGetValue(name, out var e) || !e.Shape.SequenceEqual(target.shape))
                throw new DifModelFileException(source, $"checkpoint optimiser entry '{name}' is missing or has the wrong shape.");
            using var src = tensor(e.ToFloats(), target.shape);
            target.copy_(src);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in m) t.Dispose();
        foreach (var t in v) t.Dispose();
    }
}
