using Dif.Imaging;
using Dif.MLNet;
using Dif.Tests.Denoising;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dif.Tests.MLNet;

public sealed class ResidualPipelineTests : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private (MLContext ml, IDataView data, string[] paths) TwoImages()
    {
        var ml = new MLContext(seed: 1);
        var paths = new[] { files.Png("a.png", 40, 40, seed: 1), files.Jpeg("b.jpg", 48, 40, seed: 2) };
        return (ml, ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { Path = p })), paths);
    }

    private static ResidualExtractorOptions Options(Dif.Denoising.Denoiser d, string input) => new()
    {
        InputColumnName = input, Image = new ImageLoadOptions { CropSize = 32 }, Denoiser = d,
    };

    [Fact]
    public void Raw_bytes_pipeline_adds_a_shaped_residual_equal_to_the_direct_api()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var (ml, data, paths) = TwoImages();
        var pipeline = ml.Transforms.LoadRawImageBytes("Image", null, "Path")
            .Append(ml.Transforms.ExtractDifResidual(Options(d, "Image")));
        var model = pipeline.Fit(data);
        var output = model.Transform(data);

        var column = output.Schema["Residual"];
        var type = Assert.IsType<VectorDataViewType>(column.Type);
        Assert.Equal([3, 32, 32], type.Dimensions.ToArray());

        var rows = ml.Data.CreateEnumerable<ResidualRow>(output, reuseRowObject: false).ToList();
        Assert.Equal(2, rows.Count);
        for (int i = 0; i < 2; i++)
        {
            var direct = d.ExtractResidual(ImageLoader.Load(paths[i], new ImageLoadOptions { CropSize = 32 }));
            Assert.Equal(direct, rows[i].Residual);
        }
    }

    [Fact]
    public void Path_column_and_mlimage_column_inputs_work()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var (ml, data, paths) = TwoImages();
        var fromPath = ml.Transforms.ExtractDifResidual(Options(d, "Path")).Fit(data).Transform(data);
        var byPath = ml.Data.CreateEnumerable<ResidualRow>(fromPath, false).ToList();
        Assert.Equal(d.ExtractResidual(ImageLoader.Load(paths[0], new ImageLoadOptions { CropSize = 32 })), byPath[0].Residual);

        var pipeline = ml.Transforms.LoadImages("Image", null, "Path").Append(ml.Transforms.ExtractDifResidual(Options(d, "Image")));
        var fromImage = pipeline.Fit(data).Transform(data);
        var byImage = ml.Data.CreateEnumerable<ResidualRow>(fromImage, false).ToList();
        // ML.NET decodes the PNG itself (SkiaSharp): lossless, so the residual is the same.
        Assert.Equal(byPath[0].Residual.Length, byImage[0].Residual.Length);
        for (int k = 0; k < byPath[0].Residual.Length; k += 13) Assert.Equal(byPath[0].Residual[k], byImage[0].Residual[k], 4);
    }

    [Fact]
    public void Residuals_are_computed_lazily_when_a_cursor_reads_them()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new PathRow { Path = files.PathOf("missing.png") }]);
        var output = ml.Transforms.ExtractDifResidual(Options(d, "Path")).Fit(data).Transform(data);
        // Reading only the path column never touches the missing image...
        Assert.Single(output.GetColumn<string>("Path"));
        // ...reading the residual does, with an error naming the file.
        var e = Assert.Throws<DifImageException>(() => output.GetColumn<float[]>("Residual").ToList());
        Assert.Contains("missing.png", e.Message);
    }

    [Fact]
    public void Prediction_engine_runs_the_transformer()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var (ml, data, paths) = TwoImages();
        var model = ml.Transforms.ExtractDifResidual(Options(d, "Path")).Fit(data);
        var engine = ml.Model.CreatePredictionEngine<PathRow, ResidualRow>(model);
        var result = engine.Predict(new PathRow { Path = paths[1] });
        Assert.Equal(d.ExtractResidual(ImageLoader.Load(paths[1], new ImageLoadOptions { CropSize = 32 })), result.Residual);
    }

    [Fact]
    public void Output_schema_shape_names_the_residual_column()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var (ml, data, _) = TwoImages();
        var estimator = ml.Transforms.ExtractDifResidual(Options(d, "Path"));
        var shape = estimator.GetOutputSchema(SchemaShapeOf(data));
        Assert.Contains(shape, c => c.Name == "Residual" && c.Kind == SchemaShape.Column.VectorKind.Vector && c.ItemType == NumberDataViewType.Single);
    }

    [Fact]
    public void Model_save_fails_with_a_message_saying_what_to_do()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var (ml, data, _) = TwoImages();
        var model = ml.Transforms.ExtractDifResidual(Options(d, "Path")).Fit(data);
        var e = Assert.ThrowsAny<Exception>(() => ml.Model.Save(model, data.Schema, files.PathOf("m.zip")));
        var messages = string.Join(" | ", Flatten(e).Select(x => x.Message));
        Assert.Contains("Saving models", messages);
    }

    [Fact]
    public void Wrong_input_column_type_is_refused_at_fit()
    {
        using var d = DenoiserTests.RandomDenoiser();
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new { Number = 1f }]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ExtractDifResidual(Options(d, "Number")).Fit(data));
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    private static SchemaShape SchemaShapeOf(IDataView data)
        => (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])!.Invoke(null, [data.Schema])!;
}
