using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dif.MLNet;

/// <summary>Describes one column a transformer adds.</summary>
/// <param name="Name">Column name.</param>
/// <param name="Type">Column type.</param>
/// <param name="Annotations">Annotations (may be null).</param>
internal sealed record AddedColumn(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations = null);

/// <summary>Computes the added columns for one input row. Created once per cursor or row, so it may
/// cache per-row work (keyed by <see cref="DataViewRow.Position"/>).</summary>
internal interface IRowComputer
{
    /// <summary>A getter for added column <paramref name="index"/> (cast to <c>ValueGetter&lt;T&gt;</c>).</summary>
    Delegate GetGetter(int index);
}

/// <summary>Base of Dif's ML.NET transformers: appends computed columns to every row, lazily (the
/// work runs when a getter is called), through cursors and through <see cref="IRowToRowMapper"/>
/// so <c>PredictionEngine</c> works.</summary>
/// <remarks>ML.NET's <c>ModelSaveContext</c> exposes nothing a third-party transformer can write to,
/// so <see cref="ICanSaveModel.Save"/> throws a <see cref="NotSupportedException"/> that says how Dif
/// models are saved instead (README, "Saving models").</remarks>
public abstract class AppendColumnsTransformer : ITransformer
{
    internal AppendColumnsTransformer() { }

    /// <summary>Columns of the input the added columns are computed from.</summary>
    internal abstract IReadOnlyList<string> SourceColumns { get; }

    /// <summary>The columns this transformer adds, for a given input schema (validates it).</summary>
    internal abstract IReadOnlyList<AddedColumn> AddedColumns(DataViewSchema inputSchema);

    /// <summary>Creates the per-row computer reading from <paramref name="input"/>.</summary>
    internal abstract IRowComputer CreateComputer(DataViewRow input, DataViewSchema inputSchema);

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (var c in AddedColumns(inputSchema)) builder.AddColumn(c.Name, c.Type, c.Annotations);
        return builder.ToSchema();
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => new View(this, input);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    /// <inheritdoc />
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(SaveMessage);

    internal virtual string SaveMessage =>
        $"{GetType().Name} cannot be written by MLContext.Model.Save: ML.NET gives third-party transformers no public way " +
        "to serialise themselves. Save the Dif parts with their own Save methods (denoiser and fingerprint safetensors files) " +
        "and rebuild the pipeline from them; see the README section 'Saving models'.";

    private static bool[] ActiveInput(AppendColumnsTransformer owner, DataViewSchema inputSchema, DataViewSchema outputSchema, Func<int, bool> outputActive)
    {
        var active = new bool[inputSchema.Count];
        for (int i = 0; i < inputSchema.Count; i++) active[i] = outputActive(i);
        bool anyAdded = Enumerable.Range(inputSchema.Count, outputSchema.Count - inputSchema.Count).Any(outputActive);
        if (anyAdded)
            foreach (var name in owner.SourceColumns)
                if (inputSchema.GetColumnOrNull(name) is { } c) active[c.Index] = true;
        return active;
    }

    private sealed class View(AppendColumnsTransformer owner, IDataView input) : IDataView
    {
        public bool CanShuffle => input.CanShuffle;
        public DataViewSchema Schema { get; } = owner.GetOutputSchema(input.Schema);
        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
            var active = ActiveInput(owner, input.Schema, Schema, needed.Contains);
            var inputCursor = input.GetRowCursor(input.Schema.Where(c => active[c.Index]), rand);
            return new Cursor(owner, inputCursor, input.Schema, Schema, needed);
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded, rand)];
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly DataViewRowCursor input;
        private readonly DataViewSchema inputSchema;
        private readonly HashSet<int> active;
        private readonly IRowComputer computer;

        public Cursor(AppendColumnsTransformer owner, DataViewRowCursor input, DataViewSchema inputSchema, DataViewSchema schema, HashSet<int> active)
        {
            this.input = input;
            this.inputSchema = inputSchema;
            this.active = active;
            Schema = schema;
            computer = owner.CreateComputer(input, inputSchema);
        }

        public override DataViewSchema Schema { get; }
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override bool MoveNext() => input.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            => column.Index < inputSchema.Count
                ? input.GetGetter<TValue>(inputSchema[column.Index])
                : (ValueGetter<TValue>)computer.GetGetter(column.Index - inputSchema.Count);

        protected override void Dispose(bool disposing)
        {
            if (disposing) input.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class Mapper(AppendColumnsTransformer owner, DataViewSchema inputSchema) : IRowToRowMapper
    {
        public DataViewSchema InputSchema { get; } = inputSchema;
        public DataViewSchema OutputSchema { get; } = owner.GetOutputSchema(inputSchema);

        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        {
            var needed = dependingColumns.Select(c => c.Index).ToHashSet();
            var active = ActiveInput(owner, InputSchema, OutputSchema, needed.Contains);
            return InputSchema.Where(c => active[c.Index]);
        }

        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
            => new Row(input, InputSchema, OutputSchema, activeColumns.Select(c => c.Index).ToHashSet(), owner.CreateComputer(input, InputSchema));
    }

    private sealed class Row(DataViewRow input, DataViewSchema inputSchema, DataViewSchema schema, HashSet<int> active, IRowComputer computer) : DataViewRow
    {
        public override DataViewSchema Schema => schema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            => column.Index < inputSchema.Count
                ? input.GetGetter<TValue>(inputSchema[column.Index])
                : (ValueGetter<TValue>)computer.GetGetter(column.Index - inputSchema.Count);
    }
}
