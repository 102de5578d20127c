using System.Globalization;
using SplitCompute.Model.Config;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.Init;

namespace SplitCompute.Benchmarks;

/// <summary>
/// Where a CPU block's time goes: each step of <see cref="CpuBackend"/>'s block timed alone (median over repetitions, warm), with
/// the same jobs, pool and buffers, at T = 128. The steps' sum is next to the whole block so the gap between them shows too.
/// Legend: B batch, T tokens, C channels, R = B*T rows.
/// </summary>
internal sealed unsafe class CpuStagesBenchmark : IBenchmark
{
    private const int T = 128;

    public string Name => "cpu-stages";

    public string Description => "CPU block step by step (LayerNorm, bias seeding, each sgemm, attention, GELU): where the time goes";

    public int Run(string[] args)
    {
        var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        var shapes = args.Length > 1 ? args[1..] : ["gpt2:1", "gpt2:8", "gpt2-xl:1", "gpt2-xl:8"];
        Console.WriteLine($"# load average before: {MachineLoad.Average()}");
        Console.WriteLine($"# CPU: {CpuModel.Describe()}");
        Console.WriteLine($"# {OpenBlas.Selection}; pool threads {Environment.ProcessorCount}; median of {repetitions}");
        foreach (var shape in shapes)
        {
            var (preset, b) = (shape.Split(':')[0], int.Parse(shape.Split(':')[1], CultureInfo.InvariantCulture));
            var config = Gpt2Config.Preset(preset) with { NLayer = 1, VocabSize = 1024 };
            var directory = Directory.CreateTempSubdirectory("splitcompute-bench-").FullName;
            try
            {
                RandomModelWriter.Write(directory, config, seed: 1);
                using var weights = Gpt2Weights.Load(directory);
                Profile(weights, preset, b, repetitions);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        Console.WriteLine($"# load average after: {MachineLoad.Average()}");
        return 0;
    }

    private static void Profile(Gpt2Weights weights, string preset, int b, int repetitions)
    {
        var config = weights.Config;
        var w = weights.Layer(0);
        var (c, rows, eps) = (config.NEmbd, b * T, config.LayerNormEpsilon);
        using var pool = new CpuWorkerPool(Environment.ProcessorCount);
        using var ws = new CpuWorkspace(c);
        ws.EnsureRows(rows);
        var x = new float[rows * c];
        var mask = new byte[rows];
        for (var i = 0; i < x.Length; i++) x[i] = (i % 17) * 0.01f - 0.08f;
        Array.Fill(mask, (byte)1);
        fixed (float* px = x)
        fixed (byte* pmask = mask)
        {
            var xp = px;
            var mp = pmask;
            var steps = new (string Name, Action Run)[]
            {
                ("ln_1", () => { ws.LayerNorm.Set(xp, ws.Normed, w.Ln1Weight.Pointer, w.Ln1Bias.Pointer, c, eps); pool.Run(ws.LayerNorm, rows); }),
                ("seed qkv bias", () => { ws.Bias.Set(null, ws.Qkv, w.AttnQkvBias.Pointer, 3 * c); pool.Run(ws.Bias, rows); }),
                ("sgemm qkv (R,C)x(C,3C)", () => OpenBlas.Sgemm(rows, 3 * c, c, 1f, ws.Normed, c, w.AttnQkvWeight.Pointer, 3 * c, 1f, ws.Qkv, 3 * c)),
                ("attention", () => { ws.AttentionHeads.Set(ws.Qkv, ws.Attention, mp, T, c, config.NHead); pool.Run(ws.AttentionHeads, b * config.NHead); }),
                ("seed x += proj bias", () => { ws.Bias.Set(xp, xp, w.AttnProjBias.Pointer, c); pool.Run(ws.Bias, rows); }),
                ("sgemm proj (R,C)x(C,C)", () => OpenBlas.Sgemm(rows, c, c, 1f, ws.Attention, c, w.AttnProjWeight.Pointer, c, 1f, xp, c)),
                ("ln_2", () => { ws.LayerNorm.Set(xp, ws.Normed, w.Ln2Weight.Pointer, w.Ln2Bias.Pointer, c, eps); pool.Run(ws.LayerNorm, rows); }),
                ("seed fc bias", () => { ws.Bias.Set(null, ws.Mlp, w.FcBias.Pointer, 4 * c); pool.Run(ws.Bias, rows); }),
                ("sgemm fc (R,C)x(C,4C)", () => OpenBlas.Sgemm(rows, 4 * c, c, 1f, ws.Normed, c, w.FcWeight.Pointer, 4 * c, 1f, ws.Mlp, 4 * c)),
                ("gelu", () => { ws.Gelu.Set(ws.Mlp, 4 * c); pool.Run(ws.Gelu, rows); }),
                ("seed x += fc proj bias", () => { ws.Bias.Set(xp, xp, w.FcProjBias.Pointer, c); pool.Run(ws.Bias, rows); }),
                ("sgemm fc proj (R,4C)x(4C,C)", () => OpenBlas.Sgemm(rows, c, 4 * c, 1f, ws.Mlp, 4 * c, w.FcProjWeight.Pointer, c, 1f, xp, c)),
            };
            var times = steps.Select(step => BlockTiming.MedianMs(step.Run, repetitions)).ToArray();
            var block = BlockTiming.MedianMs(() => { foreach (var step in steps) step.Run(); }, repetitions);
            var sum = times.Sum();
            var products = times.Where((_, i) => steps[i].Name.StartsWith("sgemm", StringComparison.Ordinal)).Sum();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"## {preset} B={b} T={T}: steps back to back {block:F2} ms; sum of steps alone {sum:F2} ms, of which products {products:F2} ({products / sum:P0})"));
            for (var i = 0; i < steps.Length; i++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {steps[i].Name,-28} {times[i],8:F3} ms {times[i] / sum,6:P1}"));
        }
    }
}
