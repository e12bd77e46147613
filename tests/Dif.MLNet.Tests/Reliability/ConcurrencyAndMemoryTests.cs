using System.Diagnostics;
using Dif.Denoising;
using Dif.Fingerprinting;
using Dif.Imaging;
using Dif.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace Dif.Tests.Reliability;

/// <summary>Issue 8, items 4 and 5: a fitted detector scores from several threads with the results of sequential
/// scoring (docs/reference.md, "Limits and failure behaviour" says what is thread-safe), and memory stays flat over a
/// long scoring run.</summary>
public sealed class ConcurrencyAndMemoryTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestFiles files = new();
    public void Dispose() => files.Dispose();

    private static readonly ImageLoadOptions Options = new() { CropSize = 32 };

    private static Fingerprint RandomFingerprint()
    {
        var r = new Random(4);
        return new Fingerprint(Enumerable.Range(0, 3 * 32 * 32).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray(), 32, -0.001, 0.002,
                               new ScoreCalibration(300, ScoreCalibration.Training, 8));
    }

    private List<string> Images(int n) => Enumerable.Range(0, n).Select(i => files.Png($"i{i:D2}.png", 40, 40, seed: i)).ToList();

    [Fact]
    public void Scoring_from_several_threads_gives_exactly_the_sequential_results()
    {
        using var denoiser = Denoiser.LoadDefault("cpu");
        var fingerprint = RandomFingerprint();
        var images = Images(12);
        Detection Score(string file) => fingerprint.Detect(denoiser.ExtractResidual(ImageLoader.Load(file, Options)));
        var sequential = images.Select(Score).ToList();
        var parallel = new Detection[images.Count];
        // Each image scored by four threads at once, interleaved, so calls truly overlap.
        var disagreements = new List<string>();
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int k = 0; k < images.Count; k++)
            {
                int i = (k + 3 * t) % images.Count;
                var d = Score(images[i]);
                lock (parallel)
                {
                    if (d != sequential[i]) disagreements.Add($"thread {t}, image {i}: {d} vs {sequential[i]}");
                    parallel[i] = d;
                }
            }
        })).ToList();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();
        Assert.Empty(disagreements);
        Assert.Equal(sequential, parallel);
    }

    private sealed class Scored
    {
        public float Score { get; set; }
        public float Probability { get; set; }
    }

    [Fact]
    public void MLNet_one_prediction_engine_per_thread_matches_sequential_predictions()
    {
        // PredictionEngine is not thread-safe (it reuses its buffers): each thread makes its own from the
        // shared, thread-safe transformer chain, as ML.NET's PredictionEnginePool does.
        using var denoiser = Denoiser.LoadDefault("cpu");
        var images = Images(8);
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(images.Select(p => new PathRow { Path = p }));
        var model = ml.Transforms.ExtractDifResidual(new ResidualExtractorOptions { InputColumnName = "Path", Image = Options, Denoiser = denoiser })
            .Append(ml.Transforms.ScoreDifFingerprint(RandomFingerprint())).Fit(data);
        var engine = ml.Model.CreatePredictionEngine<PathRow, Scored>(model);
        var sequential = images.Select(p => engine.Predict(new PathRow { Path = p })).Select(s => (s.Score, s.Probability)).ToList();
        var results = new (float, float)[4][];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var own = ml.Model.CreatePredictionEngine<PathRow, Scored>(model);
            results[t] = images.Select(p => own.Predict(new PathRow { Path = p })).Select(s => (s.Score, s.Probability)).ToArray();
        })).ToList();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();
        Assert.All(results, r => Assert.Equal(sequential, r));
    }

    [Fact]
    public void Memory_stays_flat_over_a_long_scoring_run()
    {
        // Resident memory (managed and native: libtorch tensors live outside the GC) after 20 scorings, then
        // after 150 more. Leaking one image's DnCNN activations (~12 MB at 32×32 with padding) would add
        // gigabytes; the bound is generous because allocators keep freed pages. Measured: -2 MB over 300.
        using var denoiser = Denoiser.LoadDefault("cpu");
        var fingerprint = RandomFingerprint();
        var images = Images(10);
        void Run(int n)
        {
            for (int i = 0; i < n; i++) fingerprint.Detect(denoiser.ExtractResidual(ImageLoader.Load(images[i % images.Count], Options)));
        }
        long Rss()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var self = Process.GetCurrentProcess();
            return self.WorkingSet64;
        }
        Run(20);
        long warm = Rss();
        Run(150);
        long after = Rss();
        output.WriteLine($"RSS after 20 scorings: {warm >> 20} MB; after 150 more: {after >> 20} MB (growth {(after - warm) >> 20} MB).");
        Assert.True(after - warm < 48L << 20, $"RSS grew by {(after - warm) >> 20} MB over 150 scorings.");
    }
}
