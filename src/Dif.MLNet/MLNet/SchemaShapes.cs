using System.Reflection;
using Microsoft.ML;

namespace Dif.MLNet;

/// <summary>Builds <see cref="SchemaShape"/>s. ML.NET keeps <c>SchemaShape.Create(DataViewSchema)</c> and
/// the column constructor internal, yet <see cref="IEstimator{TTransformer}.GetOutputSchema"/> must
/// return one; we call that one stable internal method by reflection, and fail clearly if it moves.</summary>
internal static class SchemaShapes
{
    private static readonly MethodInfo? CreateMethod = typeof(SchemaShape).GetMethod(
        "Create", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(DataViewSchema)]);

    public static SchemaShape FromSchema(DataViewSchema schema)
        => (SchemaShape)(CreateMethod ?? throw new NotSupportedException(
               "This ML.NET version has no SchemaShape.Create(DataViewSchema); Dif estimators cannot report their output schema shape. Use Fit/Transform directly."))
           .Invoke(null, [schema])!;

    /// <summary>The input shape with <paramref name="added"/>'s columns appended (replacing same-named ones).</summary>
    public static SchemaShape Append(SchemaShape input, DataViewSchema added)
    {
        var names = added.Select(c => c.Name).ToHashSet();
        return new SchemaShape(input.Where(c => !names.Contains(c.Name)).Concat(FromSchema(added)));
    }

    public static SchemaShape.Column? Find(SchemaShape shape, string name)
    {
        foreach (var c in shape.Reverse())
            if (c.Name == name) return c;
        return null;
    }
}
