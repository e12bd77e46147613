using Dif.Bench;
using TorchSharp;

// Dif's benchmark. `bash bench/run.sh [--quick|--full]` is the documented way to run it (it also installs PyTorch
// for the reference and builds Release); this program is what it runs.
var a = new Args(args.Skip(1));
torch.set_num_threads(a.Int("threads", Environment.ProcessorCount));
return args.FirstOrDefault() switch
{
    "run" => BenchRun.Run(a, args),
    "score-child" => EndToEnd.ScoreChild(a),
    "ab-dncnn" => AbDnCnn.Run(a),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: Dif.Bench run [--quick|--full] [--threads N] [--rounds R] [--seconds T] [--fit-images 256,1024] [--epochs E]
                             [--score-count N] [--skip-e2e] [--skip-score] [--out DIR] [--python PATH] [--torch-script PATH]
               Dif.Bench ab-dncnn [--batch 1] [--rounds 15] [--variants 0,2,4]   (interleaved A/B of DnCNN inference variants)
        """);
    return 2;
}
