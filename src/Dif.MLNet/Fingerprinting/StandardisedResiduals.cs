using Dif.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace Dif.Fingerprinting;

/// <summary>The fit's residuals, each row standardised once (so ρ is a matrix-vector product), held as one
/// N×L tensor, or, when that would exceed <see cref="FingerprintFitOptions.MaxResidualBytes"/>, spilled to a
/// temporary <see cref="ResidualFile"/> from which each step reads only its batch.</summary>
internal sealed class StandardisedResiduals : IDisposable
{
    private readonly Tensor? matrix;
    private readonly ResidualFile? file;
    private readonly Device device;
    private float[]? batchBuffer;
    private int[]? batchRows;
    private Tensor? batch;

    private StandardisedResiduals(Tensor? matrix, ResidualFile? file, Device device)
    {
        this.matrix = matrix;
        this.file = file;
        this.device = device;
    }

    /// <summary>True when the rows live in a temporary file rather than memory.</summary>
    public bool Spilled => file is not null;

    public static StandardisedResiduals Create(IReadOnlyList<float[]> residuals, int length, Device device, long maxBytes, string? spillFolder)
    {
        if ((long)residuals.Count * length * sizeof(float) <= maxBytes)
            return new StandardisedResiduals(FingerprintFitter.Standardise(residuals, length, device), null, device);
        var file = new ResidualFile(length, spillFolder);
        try
        {
            using var _ = no_grad();
            foreach (var r in residuals)
            {
                using var scope = NewDisposeScope();
                file.Add(FingerprintFitter.Standardise([r], length, CPU).data<float>().ToArray());
            }
            return new StandardisedResiduals(null, file, device);
        }
        catch { file.Dispose(); throw; }
    }

    /// <summary>ρ between <paramref name="pattern"/> (1×L) and the residuals <paramref name="rows"/>, in that order.</summary>
    public Tensor Correlations(Tensor pattern, int[] rows, Scalar length)
    {
        if (matrix is not null)
        {
            using var index = torch.tensor(rows.Select(i => (long)i).ToArray()).to(device);
            return FingerprintFitter.Correlations(matrix, pattern, length).index_select(0, index);
        }
        return FingerprintFitter.Correlations(Batch(rows), pattern, length);
    }

    /// <summary>The spilled rows of one step, read once and kept for the step's second correlation (the EMA's).</summary>
    private Tensor Batch(int[] rows)
    {
        if (batch is not null && ReferenceEquals(rows, batchRows)) return batch;
        int length = file!.RowLength;
        // Every step has the same batch size, so one buffer serves the whole fit (no per-step 50 MB array).
        if (batchBuffer?.Length != rows.Length * length) batchBuffer = new float[rows.Length * length];
        for (int k = 0; k < rows.Length; k++) file.Read(rows[k], batchBuffer.AsSpan(k * length, length));
        batch?.Dispose();
        using (var cpu = torch.tensor(batchBuffer, [rows.Length, length]))
            batch = cpu.to(device).DetachFromDisposeScope();
        batchRows = rows;
        return batch;
    }

    public void Dispose()
    {
        matrix?.Dispose();
        batch?.Dispose();
        file?.Dispose();
    }
}
