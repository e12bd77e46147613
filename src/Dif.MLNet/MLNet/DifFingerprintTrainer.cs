using Dif.Fingerprinting;
using Dif.Imaging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dif.MLNet;

/// <summary>Options of <see cref="DifFingerprintEstimator"/>.</summary>
public sealed class DifFingerprintTrainerOptions
{
    /// <summary>Boolean label column: true for images of the generative model, false for real ones.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Residual column (a 3×S×S float vector, as <c>ExtractDifResidual</c> makes).</summary>
    public string ResidualColumnName { get; set; } = ResidualExtractorOptions.DefaultOutputColumnName;

    /// <summary>How the fingerprint is fitted (epochs, seed, device, calibration share...).</summary>
    public FingerprintFitOptions Fit { get; set; } = new();

    /// <summary>How scores become verdicts.</summary>
    public DetectionOptions Detection { get; set; } = new();

    /// <summary>A label for the fingerprinted model, stored in the fingerprint.</summary>
    public string? Name { get; set; }

    /// <summary>Receives one report per epoch.</summary>
    public IProgress<FingerprintFitProgress>? Progress { get; set; }

    /// <summary>Stops fitting between steps.</summary>
    public CancellationToken CancellationToken { get; set; }
}

/// <summary>Names of the columns Dif's fingerprint scorer adds. <see cref="Score"/>, <see cref="PredictedLabel"/>
/// and <see cref="Probability"/> are ML.NET's standard binary-classification names, so
/// <c>BinaryClassification.Evaluate</c> works on the output.</summary>
public static class DifColumnNames
{
    /// <summary>The signed score: positive means nearer the generated centre.</summary>
    public const string Score = "Score";
    /// <summary>True when the image is predicted generated (nearest centre).</summary>
    public const string PredictedLabel = "PredictedLabel";
    /// <summary>Calibrated probability of "generated".</summary>
    public const string Probability = "Probability";
    /// <summary>ρ between fingerprint and residual.</summary>
    public const string Correlation = "Correlation";
    /// <summary>Real, Generated or Inconclusive.</summary>
    public const string Verdict = "Verdict";
    /// <summary>Annotation on a residual column naming the denoiser identity that made it.</summary>
    public const string DenoiserIdentityAnnotation = "DifDenoiserIdentity";
    /// <summary>Annotation on a residual column naming the harmonisation its images were loaded with
    /// (<see cref="ImageLoadOptions.Harmonise"/>, e.g. <c>jpeg:90</c>; empty for none).</summary>
    public const string HarmonisationAnnotation = "DifHarmonisation";
}

/// <summary>Fits a Deep Image Fingerprint from a label column and a residual column (docs/method.md §2.4) and
/// returns a <see cref="DifFingerprintTransformer"/>. Create it with
/// <c>mlContext.BinaryClassification.Trainers.DifFingerprint(...)</c>.</summary>
/// <remarks>The fingerprint records the denoiser identity and the harmonisation annotated on the residual
/// column by <c>ExtractDifResidual</c>. The training-data format check (<see cref="TrainingSetFormat.Compare"/>)
/// is not run: the trainer sees residuals only, and the check needs the image files. Run it on the files
/// yourself and record its findings with <c>transformer.Fingerprint.WithFormatWarnings(report.Warnings)</c>
/// before saving.</remarks>
public sealed class DifFingerprintEstimator : IEstimator<DifFingerprintTransformer>
{
    private readonly DifFingerprintTrainerOptions options;

    /// <summary>Creates the estimator.</summary>
    public DifFingerprintEstimator(DifFingerprintTrainerOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Fit.Validate();
        options.Detection.Validate();
    }

    /// <summary>Reads every row's label and residual once, fits the fingerprint and returns the scorer.</summary>
    public DifFingerprintTransformer Fit(IDataView input)
    {
        var label = input.Schema.GetColumnOrNull(options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(input), $"Label column '{options.LabelColumnName}' was not found.");
        if (label.Type != BooleanDataViewType.Instance)
            throw new ArgumentOutOfRangeException(nameof(input), $"Label column '{options.LabelColumnName}' is {label.Type}; expected Boolean (true = generated).");
        var residual = DifFingerprintTransformer.ResidualColumn(input.Schema, options.ResidualColumnName, out int size);

        var real = new List<float[]>();
        var fake = new List<float[]>();
        using (var cursor = input.GetRowCursor([label, residual]))
        {
            var getLabel = cursor.GetGetter<bool>(label);
            var getResidual = cursor.GetGetter<VBuffer<float>>(residual);
            bool isFake = false;
            VBuffer<float> values = default;
            while (cursor.MoveNext())
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                getLabel(ref isFake);
                getResidual(ref values);
                (isFake ? fake : real).Add(values.DenseValues().ToArray());
            }
        }
        var fingerprint = new FingerprintFitter(options.Fit)
            .Fit(real, fake, size, DifFingerprintTransformer.DenoiserIdentityOf(residual), options.Progress, options.CancellationToken)
            .WithName(options.Name)
            .WithHarmonisation(DifFingerprintTransformer.HarmonisationOf(residual, out _));
        return new DifFingerprintTransformer(fingerprint, options.ResidualColumnName, options.Detection);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (SchemaShapes.Find(inputSchema, options.LabelColumnName) is not { } label)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{options.LabelColumnName}' was not found.");
        if (label.ItemType != BooleanDataViewType.Instance)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{options.LabelColumnName}' must be Boolean.");
        if (SchemaShapes.Find(inputSchema, options.ResidualColumnName) is null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Residual column '{options.ResidualColumnName}' was not found.");
        return SchemaShapes.Append(inputSchema, DifFingerprintTransformer.AddedSchema());
    }
}

/// <summary>Scores a residual column against a fingerprint: adds <c>Score</c>, <c>PredictedLabel</c>,
/// <c>Probability</c>, <c>Correlation</c> and <c>Verdict</c>. Made by <see cref="DifFingerprintEstimator"/>,
/// or from a saved fingerprint with <c>mlContext.Transforms.ScoreDifFingerprint(Fingerprint.Load(path))</c>.</summary>
/// <remarks>It reads residuals, so it cannot re-apply a fingerprint's <see cref="Fingerprint.Harmonisation"/> itself:
/// extract the residuals with <c>Image = fingerprint.ImageOptions()</c>. A residual column annotated with another
/// harmonisation than the fingerprint's is refused with a <see cref="DifHarmonisationMismatchException"/>.</remarks>
public sealed class DifFingerprintTransformer : AppendColumnsTransformer
{
    private readonly string residualColumnName;
    private readonly DetectionOptions detection;
    private readonly bool forceDenoiser;

    /// <summary>Creates a scorer for <paramref name="fingerprint"/> reading <paramref name="residualColumnName"/>.</summary>
    /// <param name="fingerprint">The fingerprint.</param>
    /// <param name="residualColumnName">Residual column (3×S×S floats, S = the fingerprint's crop size).</param>
    /// <param name="detection">Verdict options (inconclusive band).</param>
    /// <param name="forceDenoiser">Score even when the residual column says it came from another denoiser.</param>
    public DifFingerprintTransformer(Fingerprint fingerprint, string residualColumnName = ResidualExtractorOptions.DefaultOutputColumnName,
                                     DetectionOptions? detection = null, bool forceDenoiser = false)
    {
        Fingerprint = fingerprint ?? throw new ArgumentNullException(nameof(fingerprint));
        this.residualColumnName = residualColumnName;
        this.detection = detection ?? new DetectionOptions();
        this.detection.Validate();
        this.forceDenoiser = forceDenoiser;
    }

    /// <summary>The fitted fingerprint; save it with <see cref="Fingerprint.Save"/>.</summary>
    public Fingerprint Fingerprint { get; }

    internal override IReadOnlyList<string> SourceColumns => [residualColumnName];

    internal override string SaveMessage =>
        "DifFingerprintTransformer cannot be written by MLContext.Model.Save: ML.NET gives third-party transformers no public way " +
        "to serialise themselves. Save its fingerprint with transformer.Fingerprint.Save(path) and rebuild the scorer with " +
        "mlContext.Transforms.ScoreDifFingerprint(Fingerprint.Load(path)); see the README section 'Saving models'.";

    internal static DataViewSchema AddedSchema()
    {
        var b = new DataViewSchema.Builder();
        b.AddColumn(DifColumnNames.Score, NumberDataViewType.Single);
        b.AddColumn(DifColumnNames.PredictedLabel, BooleanDataViewType.Instance);
        b.AddColumn(DifColumnNames.Probability, NumberDataViewType.Single);
        b.AddColumn(DifColumnNames.Correlation, NumberDataViewType.Single);
        b.AddColumn(DifColumnNames.Verdict, TextDataViewType.Instance);
        return b.ToSchema();
    }

    /// <summary>The residual column, checked to be a known-size float vector of 3×S×S values.</summary>
    internal static DataViewSchema.Column ResidualColumn(DataViewSchema schema, string name, out int size)
    {
        var col = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Residual column '{name}' was not found.");
        if (col.Type is not VectorDataViewType { ItemType: var item, Size: var length } || item != NumberDataViewType.Single || length == 0)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Residual column '{name}' is {col.Type}; expected a float vector of known size 3×S×S (ExtractDifResidual makes one).");
        size = (int)Math.Round(Math.Sqrt(length / 3.0));
        if (3 * size * size != length)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Residual column '{name}' holds {length} values, not 3×S×S.");
        return col;
    }

    /// <summary>The denoiser identity annotated on a residual column by <c>ExtractDifResidual</c>, if any.</summary>
    internal static string? DenoiserIdentityOf(DataViewSchema.Column residual)
    {
        if (residual.Annotations.Schema.GetColumnOrNull(DifColumnNames.DenoiserIdentityAnnotation) is not { Type: TextDataViewType }) return null;
        ReadOnlyMemory<char> value = default;
        residual.Annotations.GetValue(DifColumnNames.DenoiserIdentityAnnotation, ref value);
        return value.Length == 0 ? null : value.ToString();
    }

    /// <summary>The harmonisation annotated on a residual column by <c>ExtractDifResidual</c> (null: none);
    /// <paramref name="annotated"/> is false when the column carries no such annotation (residuals from elsewhere).</summary>
    internal static Harmonisation? HarmonisationOf(DataViewSchema.Column residual, out bool annotated)
    {
        annotated = residual.Annotations.Schema.GetColumnOrNull(DifColumnNames.HarmonisationAnnotation) is { Type: TextDataViewType };
        if (!annotated) return null;
        ReadOnlyMemory<char> value = default;
        residual.Annotations.GetValue(DifColumnNames.HarmonisationAnnotation, ref value);
        if (value.Length == 0) return null;
        return Harmonisation.TryParse(value.ToString(), out var h) ? h
            : throw new ArgumentOutOfRangeException(nameof(residual), $"Residual column '{residual.Name}' is annotated with harmonisation '{value}', not jpeg:Q.");
    }

    internal override IReadOnlyList<AddedColumn> AddedColumns(DataViewSchema inputSchema)
    {
        var residual = ResidualColumn(inputSchema, residualColumnName, out int size);
        if (size != Fingerprint.Size)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Residual column '{residualColumnName}' is {size}×{size}; the fingerprint was fitted at {Fingerprint.Size}×{Fingerprint.Size}.");
        if (!forceDenoiser && DenoiserIdentityOf(residual) is { } identity && Fingerprint.DenoiserIdentity is { } expected && identity != expected)
            throw new DifDenoiserMismatchException(Fingerprint.Name, expected, identity);
        // The scorer sees residuals, not images, so it cannot harmonise them itself: residuals made otherwise
        // than the fingerprint's images are refused (extract them with Image = fingerprint.ImageOptions()).
        var harmonisation = HarmonisationOf(residual, out bool annotated);
        if (annotated) Fingerprint.EnsureHarmonisation(harmonisation);
        return AddedSchema().Select(c => new AddedColumn(c.Name, c.Type)).ToList();
    }

    internal override IRowComputer CreateComputer(DataViewRow input, DataViewSchema inputSchema) => new Computer(this, input, inputSchema);

    private sealed class Computer(DifFingerprintTransformer owner, DataViewRow input, DataViewSchema inputSchema) : IRowComputer
    {
        private readonly ValueGetter<VBuffer<float>> residual = input.GetGetter<VBuffer<float>>(inputSchema[owner.residualColumnName]);
        private long cachedPosition = -1;
        private Detection? cached;

        private Detection Current()
        {
            if (cached is null || cachedPosition != input.Position)
            {
                VBuffer<float> values = default;
                residual(ref values);
                cached = owner.Fingerprint.Detect(values.DenseValues().ToArray(), owner.detection);
                cachedPosition = input.Position;
            }
            return cached;
        }

        public Delegate GetGetter(int index) => index switch
        {
            0 => (ValueGetter<float>)((ref float v) => v = (float)Current().Score),
            1 => (ValueGetter<bool>)((ref bool v) => v = Current().IsGenerated),
            2 => (ValueGetter<float>)((ref float v) => v = (float)Current().Probability),
            3 => (ValueGetter<float>)((ref float v) => v = (float)Current().Correlation),
            4 => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = Current().Verdict.ToString().AsMemory()),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };
    }
}

/// <summary>Wraps an already fitted fingerprint as an estimator, so a loaded fingerprint joins a pipeline
/// like any other step. Made by <c>mlContext.Transforms.ScoreDifFingerprint(...)</c>.</summary>
public sealed class DifFingerprintScoringEstimator(DifFingerprintTransformer transformer) : IEstimator<DifFingerprintTransformer>
{
    /// <summary>Nothing is learned: returns the scorer, after checking the input.</summary>
    public DifFingerprintTransformer Fit(IDataView input)
    {
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (SchemaShapes.Find(inputSchema, transformer.SourceColumns[0]) is null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Residual column '{transformer.SourceColumns[0]}' was not found.");
        return SchemaShapes.Append(inputSchema, DifFingerprintTransformer.AddedSchema());
    }
}
