using Microsoft.ML.Data;

namespace Dif.Tests;

/// <summary>An ML.NET input row: one image path (the residual transformer's default input column).</summary>
internal sealed class PathRow
{
    public string Path { get; set; } = "";
}

/// <summary>An ML.NET output row: the residual column, read back as a flat vector.</summary>
internal sealed class ResidualRow
{
    [VectorType]
    public float[] Residual { get; set; } = [];
}
