using Dif.Evaluation;

namespace Dif.Cli;

/// <summary>The real-photo corpus and the super-resolution evaluation inputs (scripts/make-real-data.sh runs them).</summary>
internal static class CorpusCommands
{
    public static int MakeCorpus(Arguments a, CancellationToken ct)
    {
        var packages = a.String("packages") ?? throw new UsageException("make-corpus needs --packages DIR (the unpacked Debian packages)");
        var manifest = a.String("manifest") ?? Path.Combine(CommandLine.RepositoryRoot("make-corpus"), "data", "corpus", "photos.tsv");
        var output = a.String("out", "out/corpus")!;
        var options = new PhotoCorpusOptions
        {
            CropSize = a.Int("size", 256),
            MaxCropsPerPhoto = a.Int("max-per-photo", 96),
            MinStdDev = a.Double("min-std", 0.02),
            Seed = a.Int("seed", 1),
            TrainPerClass = a.Int("train", 128),
            TestPerClass = a.Int("test", 64),
            Scales = a.Ints("scales", "2,3,4,8"),
        };
        a.RejectUnknown();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var summary = PhotoCorpus.Build(packages, manifest, output, options, new SyncProgress<string>(Console.WriteLine), ct);
        Console.WriteLine($"{summary.Photos} photos, {summary.Crops} crops: {summary.Evaluation} in the evaluation set, " +
                          $"{summary.DenoiserTrain} for denoiser training, {summary.DenoiserHeldOut} held out ({clock.Elapsed.TotalSeconds:F0} s) -> {output}");
        return 0;
    }

    public static int JpegCondition(Arguments a, CancellationToken ct)
    {
        var from = a.String("from") ?? throw new UsageException("jpeg-condition needs --from DIR");
        var to = a.String("to") ?? throw new UsageException("jpeg-condition needs --to DIR");
        int quality = a.Int("quality", 90);
        a.RejectUnknown();
        if (!Directory.Exists(from)) throw new Dif.DifException($"{from}: folder not found.");
        int n = PhotoCorpus.WriteJpegCondition(from, to, quality, ct);
        Console.WriteLine($"{n} images re-encoded as JPEG q{quality} -> {to}");
        return 0;
    }
}
