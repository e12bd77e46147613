using Dif.Bench;
using TorchSharp;

// Dif's benchmark. `bash bench/run.sh [--quick|--full]` is the documented way to run it (it also installs PyTorch
// for the reference and builds Release); this program is what it runs.
Dif.Devices.NativeSetup.ConfigureProcess();
var a = new Args(args.Skip(1));
torch.set_num_threads(a.Int("threads", Environment.ProcessorCount));
return args.FirstOrDefault() switch
{
    "run" => BenchRun.Run(a, args),
    "score-child" => EndToEnd.ScoreChild(a),
    "ab-dncnn" => AbDnCnn.Run(a),
    "peak" => Peak(a),
    _ => Usage(),
};

// The fp32 ceilings alone: FMA peak on 1 and on all threads, libtorch sgemm and conv.
static int Peak(Args a)
{
    double seconds = a.Double("seconds", 3);
    int threads = torch.get_num_threads();
    Console.WriteLine(System.FormattableString.Invariant(
        $"FMA peak ({Machine.VectorIsa}): {Machine.FmaPeak(1, seconds) / 1e9:F0} GFLOP/s on 1 thread, {Machine.FmaPeak(threads, seconds) / 1e9:F0} on {threads}; sgemm 2048²: {Machine.SgemmRate(2048, seconds) / 1e9:F0}; conv 3×3 64→64 256²: {Machine.ConvRate(seconds) / 1e9:F0}"));
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: Dif.Bench run [--quick|--full] [--threads N] [--rounds R] [--seconds T] [--fit-images 256,1024] [--epochs E]
                             [--score-count N] [--skip-e2e] [--skip-score] [--out DIR] [--python PATH] [--torch-script PATH]
               Dif.Bench peak [--seconds 3]   (the fp32 ceilings alone)
               Dif.Bench ab-dncnn [--batch 1] [--rounds 15] [--variants 0,2,4]   (interleaved A/B of DnCNN inference variants)
        """);
    return 2;
}
