using System.Globalization;
using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.Init;
using TorchSharp;

namespace SplitCompute.Benchmarks.Torch;

/// <summary>
/// Our CPU block next to libtorch's (TorchSharp-cpu) in one process: same shapes as cpu-layer (gpt2 and gpt2-xl, T = 128,
/// B = 1 and 8), same weights and input, fp32, the same thread count for OpenBLAS, our pool and libtorch. Also prints the
/// largest difference between the two outputs, so both are seen to compute the same block.
/// Built only with -p:WithTorchSharp=true; run through benchmarks/torch/run.sh (libtorch's glue needs a newer libstdc++).
/// </summary>
internal sealed class CpuVsTorchBenchmark : IBenchmark
{
    private const int T = 128;

    public string Name => "cpu-vs-torch";

    public string Description => "CPU block vs libtorch (TorchSharp-cpu) on the same shapes, weights and threads; run via benchmarks/torch/run.sh";

    public int Run(string[] args)
    {
        var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var presets = args.Length > 1 ? args[1..] : ["gpt2", "gpt2-xl"];
        var threads = Environment.ProcessorCount;
        torch.set_num_threads(threads);
        Console.WriteLine($"# load average before: {MachineLoad.Average()}");
        Console.WriteLine($"# CPU: {CpuModel.Describe()}");
        Console.WriteLine($"# {OpenBlas.Selection}; our pool {threads} threads");
        Console.WriteLine($"# libtorch {torch.__version__} (TorchSharp {typeof(torch).Assembly.GetName().Version}), " +
                          $"{torch.get_num_threads()} threads; median of {repetitions} interleaved rounds, each path warmed up for 2 s first");
        Console.WriteLine("model    B    T    ours_ms   torch_ms  ours/torch  max_abs_diff  load_1min");
        foreach (var preset in presets)
        {
            var config = Gpt2Config.Preset(preset) with { NLayer = 1, VocabSize = 1024 };  // one block; a small vocabulary keeps the file small
            var directory = Directory.CreateTempSubdirectory("splitcompute-bench-").FullName;
            try
            {
                RandomModelWriter.Write(directory, config, seed: 1);
                using var weights = Gpt2Weights.Load(directory);
                using var backend = new CpuBackend(weights, threads);
                using var reference = new TorchGpt2Block(weights.Layer(0), config);
                foreach (var b in new[] { 1, 8 })
                {
                    var (oursMs, torchMs, difference) = Measure(backend, reference, b, repetitions);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{preset,-8} {b,1} {T,4} {oursMs,10:F2} {torchMs,10:F2} {oursMs / torchMs,11:F2} {difference,13:E1}  {MachineLoad.Average().Split(' ')[0],9}"));
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        Console.WriteLine($"# load average after: {MachineLoad.Average()}");
        return 0;
    }

    private static (double OursMs, double TorchMs, double MaxDifference) Measure(CpuBackend backend, TorchGpt2Block reference, int b, int repetitions)
    {
        var random = new Random(5);
        var batch = TokenBatch.FromSequences([.. Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, T).Select(_ => random.Next(1024)).ToArray())]);
        var input = backend.Embed(batch);
        var c = backend.Config.NEmbd;
        using var torchInput = torch.from_array(input.Data.ToArray()).reshape(b, T, c);  // (B, T, C)

        var ours = backend.Embed(batch);
        backend.RunLayers(ours, 0, 1);
        using (var theirs = reference.Forward(torchInput))
        {
            var difference = ours.Data.Zip(theirs.data<float>().ToArray()).Max(p => Math.Abs(p.First - p.Second));
            // Interleaved, one of each per round: load from other work on these cores then falls on both alike.
            var (oursMs, torchMs) = BlockTiming.MedianMsInterleaved(
                () => { input.LayersDone = 0; backend.RunLayers(input, 0, 1); }, () => reference.Forward(torchInput).Dispose(), repetitions);
            return (oursMs, torchMs, difference);
        }
    }
}
