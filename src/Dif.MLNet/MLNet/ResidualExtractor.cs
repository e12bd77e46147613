using Dif.Denoising;
using Dif.Imaging;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Dif.MLNet;

/// <summary>Options of <see cref="ResidualExtractingEstimator"/>.</summary>
public sealed class ResidualExtractorOptions
{
    /// <summary>Default name of the output column.</summary>
    public const string DefaultOutputColumnName = "Residual";

    /// <summary>Name of the residual column to add (a float vector of shape 3×S×S).</summary>
    public string OutputColumnName { get; set; } = DefaultOutputColumnName;

    /// <summary>Name of the image column: raw bytes (<c>LoadRawImageBytes</c>), an <c>MLImage</c>
    /// (<c>LoadImages</c>) or a text column holding a file path.</summary>
    public string InputColumnName { get; set; } = "Image";

    /// <summary>Optional text column naming each row's file, used in error messages for byte and
    /// image inputs (for path inputs the path itself is used).</summary>
    public string? SourceNameColumnName { get; set; }

    /// <summary>Crop size, decoding limits and harmonisation (<see cref="ImageLoadOptions.Harmonise"/>). To score
    /// with a fitted fingerprint, use <c>fingerprint.ImageOptions()</c>: its crop size and harmonisation.</summary>
    public ImageLoadOptions Image { get; set; } = new();

    /// <summary>A denoiser weights file; null uses the default denoiser shipped with Dif.</summary>
    public string? DenoiserPath { get; set; }

    /// <summary>An already loaded denoiser (takes precedence over <see cref="DenoiserPath"/>; the caller keeps ownership).</summary>
    public Denoiser? Denoiser { get; set; }

    /// <summary>Device: auto, cpu, cuda or cuda:N.</summary>
    public string Device { get; set; } = "auto";
}

/// <summary>Adds the DnCNN residual R = f_D(X) − F_DnCNN of each row's image (docs/method.md §2.2) as a float
/// vector annotated with its 3×S×S shape. Create it with
/// <see cref="DifCatalog.ExtractDifResidual(TransformsCatalog, string, string, int, string?)"/>.</summary>
public sealed class ResidualExtractingEstimator : IEstimator<ResidualExtractingTransformer>
{
    private readonly ResidualExtractorOptions options;

    /// <summary>Creates the estimator.</summary>
    public ResidualExtractingEstimator(ResidualExtractorOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Image.Validate();
    }

    /// <summary>Nothing is learned: returns the transformer, after checking the input column.</summary>
    public ResidualExtractingTransformer Fit(IDataView input)
    {
        ResidualExtractingTransformer.CheckInput(input.Schema, options);
        var denoiser = options.Denoiser ?? (options.DenoiserPath is null ? Denoiser.LoadDefault(options.Device) : Denoiser.Load(options.DenoiserPath, options.Device));
        return new ResidualExtractingTransformer(options, denoiser, ownsDenoiser: options.Denoiser is null);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var col = SchemaShapes.Find(inputSchema, options.InputColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{options.InputColumnName}' was not found.");
        if (!ResidualExtractingTransformer.IsSupported(col.Kind, col.ItemType))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column '{options.InputColumnName}' is {col.ItemType}; expected raw image bytes, an MLImage or a file path.");
        return SchemaShapes.Append(inputSchema, ResidualExtractingTransformer.AddedSchema(options));
    }
}

/// <summary>The fitted residual extractor. Holds the denoiser; dispose it to free native memory.</summary>
public sealed class ResidualExtractingTransformer : AppendColumnsTransformer, IDisposable
{
    private readonly ResidualExtractorOptions options;
    private readonly bool ownsDenoiser;

    internal ResidualExtractingTransformer(ResidualExtractorOptions options, Denoiser denoiser, bool ownsDenoiser)
    {
        this.options = options;
        Denoiser = denoiser;
        this.ownsDenoiser = ownsDenoiser;
    }

    /// <summary>The denoiser in use.</summary>
    public Denoiser Denoiser { get; }

    /// <summary>The crop size S.</summary>
    public int CropSize => options.Image.CropSize;

    internal override IReadOnlyList<string> SourceColumns =>
        options.SourceNameColumnName is null ? [options.InputColumnName] : [options.InputColumnName, options.SourceNameColumnName];

    internal static bool IsSupported(SchemaShape.Column.VectorKind kind, DataViewType itemType) =>
        (kind == SchemaShape.Column.VectorKind.VariableVector || kind == SchemaShape.Column.VectorKind.Vector) && itemType == NumberDataViewType.Byte
        || kind == SchemaShape.Column.VectorKind.Scalar && (itemType is ImageDataViewType || itemType is TextDataViewType);

    internal static void CheckInput(DataViewSchema schema, ResidualExtractorOptions options)
    {
        var col = schema.GetColumnOrNull(options.InputColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{options.InputColumnName}' was not found.");
        if (!(col.Type is VectorDataViewType { ItemType: var t } && t == NumberDataViewType.Byte || col.Type is ImageDataViewType || col.Type is TextDataViewType))
            throw new ArgumentOutOfRangeException(nameof(schema), $"Column '{options.InputColumnName}' is {col.Type}; expected raw image bytes, an MLImage or a file path.");
        if (options.SourceNameColumnName is { } name && schema.GetColumnOrNull(name) is { Type: not TextDataViewType })
            throw new ArgumentOutOfRangeException(nameof(schema), $"Source-name column '{name}' must be text.");
    }

    internal static DataViewSchema AddedSchema(ResidualExtractorOptions options)
    {
        var b = new DataViewSchema.Builder();
        int s = options.Image.CropSize;
        b.AddColumn(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, 3, s, s));
        return b.ToSchema();
    }

    internal override IReadOnlyList<AddedColumn> AddedColumns(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema, options);
        var c = AddedSchema(options)[0];
        // The denoiser's identity and the harmonisation travel with the column, so a fingerprint fitted on it
        // records them and a fingerprint scoring it can refuse residuals of another denoiser or harmonisation.
        var annotations = new DataViewSchema.Annotations.Builder();
        var identity = Denoiser.Identity.AsMemory();
        annotations.Add(DifColumnNames.DenoiserIdentityAnnotation, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = identity);
        var harmonise = (options.Image.Harmonise?.ToString() ?? "").AsMemory();
        annotations.Add(DifColumnNames.HarmonisationAnnotation, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = harmonise);
        return [new AddedColumn(c.Name, c.Type, annotations.ToAnnotations())];
    }

    internal override IRowComputer CreateComputer(DataViewRow input, DataViewSchema inputSchema)
        => new Computer(this, input, inputSchema);

    /// <summary>Prepares the image of one row (shared with the fingerprint scorer's image input).</summary>
    internal static Func<PreparedImage> ImageReader(DataViewRow input, DataViewSchema inputSchema, string column, string? nameColumn, ImageLoadOptions imageOptions)
    {
        var col = inputSchema[column];
        ValueGetter<ReadOnlyMemory<char>>? nameGetter = nameColumn is not null && inputSchema.GetColumnOrNull(nameColumn) is { } nc && input.IsColumnActive(nc)
            ? input.GetGetter<ReadOnlyMemory<char>>(nc) : null;
        string Name()
        {
            if (nameGetter is null) return $"row {input.Position}";
            ReadOnlyMemory<char> n = default;
            nameGetter(ref n);
            return n.ToString();
        }
        switch (col.Type)
        {
            case TextDataViewType:
                var pathGetter = input.GetGetter<ReadOnlyMemory<char>>(col);
                return () =>
                {
                    ReadOnlyMemory<char> path = default;
                    pathGetter(ref path);
                    return ImageLoader.Load(path.ToString(), imageOptions);
                };
            case ImageDataViewType:
                var imageGetter = input.GetGetter<MLImage>(col);
                return () =>
                {
                    MLImage image = null!;
                    imageGetter(ref image);
                    if (image is null) throw new DifImageException(Name(), "no image (ML.NET's loader could not read it).");
                    return ImageLoader.FromMLImage(image, Name(), imageOptions);
                };
            default:
                var bytesGetter = input.GetGetter<VBuffer<byte>>(col);
                return () =>
                {
                    VBuffer<byte> bytes = default;
                    bytesGetter(ref bytes);
                    var dense = bytes.DenseValues().ToArray();
                    return ImageLoader.Load(dense, Name(), imageOptions);
                };
        }
    }

    private sealed class Computer : IRowComputer
    {
        private readonly ResidualExtractingTransformer owner;
        private readonly DataViewRow input;
        private readonly Func<PreparedImage> read;
        private long cachedPosition = -1;
        private float[]? cached;

        public Computer(ResidualExtractingTransformer owner, DataViewRow input, DataViewSchema inputSchema)
        {
            this.owner = owner;
            this.input = input;
            read = ImageReader(input, inputSchema, owner.options.InputColumnName, owner.options.SourceNameColumnName, owner.options.Image);
        }

        public Delegate GetGetter(int index)
        {
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                if (cached is null || cachedPosition != input.Position)
                {
                    cached = owner.Denoiser.ExtractResidual(read());
                    cachedPosition = input.Position;
                }
                var editor = VBufferEditor.Create(ref value, cached.Length);
                cached.CopyTo(editor.Values);
                value = editor.Commit();
            };
            return getter;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (ownsDenoiser) Denoiser.Dispose();
    }
}
