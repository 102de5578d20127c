using System.Diagnostics;
using System.Globalization;
using SplitCompute.Model.Cpu;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.Benchmarks;

/// <summary>
/// Issue 23's matrix-product figure on this adapter: GFLOP/s of Y (M, N) = X (M, K) W (K, N) + bias through the edge's WGSL
/// product (the one the block uses, or a candidate .wgsl file with the same bindings and its workgroup tile), beside OpenBLAS's
/// sgemm on the same shape and cores in the same run, and its largest |difference| from sgemm.
/// Usage: webgpu-matmul [M=128 K=768 N=3072] [reps=5] [--wgsl FILE TILE_M TILE_N]
/// </summary>
internal sealed class WebGpuMatmulBenchmark : IBenchmark
{
    public string Name => "webgpu-matmul";

    public string Description => "WGSL matrix product GFLOP/s on this adapter vs OpenBLAS sgemm on the same cores (issue 23)";

    public int Run(string[] args)
    {
        var numbers = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        var (m, k, n) = numbers.Length >= 3 ? (numbers[0], numbers[1], numbers[2]) : (128, 768, 3072);
        var reps = numbers.Length >= 4 ? numbers[3] : 5;
        var wgsl = Array.IndexOf(args, "--wgsl");
        using var device = WebGpuDevice.Open();
        using var cache = new KernelCache(device);
        var (kernel, tileM, tileN, label) = wgsl >= 0
            ? (cache.GetSource("candidate", File.ReadAllText(args[wgsl + 1])), int.Parse(args[wgsl + 2], CultureInfo.InvariantCulture), int.Parse(args[wgsl + 3], CultureInfo.InvariantCulture), Path.GetFileName(args[wgsl + 1]))
            : Product(cache, n);
        var random = new Random(23);
        float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5))];
        var (xs, ws, bs) = (Values(m * k), Values(k * n), Values(n));
        using var parameters = GpuBuffer.Create(device, "params", 16, GpuBuffer.Uniform);
        using var x = Upload(device, "x", xs);
        using var w = Upload(device, "w", ws);
        using var bias = Upload(device, "bias", bs);
        using var y = GpuBuffer.Create(device, "y", (ulong)(m * n) * 4UL, GpuBuffer.Storage);
        using var readback = GpuBuffer.Create(device, "y readback", (ulong)(m * n) * 4UL, GpuBuffer.Readback);
        MatmulOp.WriteParams(device, parameters, m, n, k, ProductEpilogue.Store);
        using var bindings = MatmulOp.Bind(device, kernel, "matmul", parameters, x, w, bias, y);
        var times = new double[reps];
        for (var run = -1; run < reps; run++)
        {
            var clock = Stopwatch.StartNew();
            using (var recorder = new CommandRecorder(device, "matmul"))
            {
                recorder.Dispatch(kernel, bindings, (uint)((n + tileN - 1) / tileN), (uint)((m + tileM - 1) / tileM));
                recorder.Submit();
            }
            device.WaitForQueue("matmul");
            if (run >= 0) times[run] = clock.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        using (var recorder = new CommandRecorder(device, "readback"))
        {
            recorder.Copy(y, readback, (ulong)(m * n) * 4UL);
            recorder.Submit();
        }
        var gpu = new float[m * n];
        readback.ReadMapped<float>(device, gpu);

        OpenBlas.EnsureLoaded();
        var expected = new float[m * n];
        var blasTimes = new double[reps];
        for (var run = -1; run < reps; run++)
        {
            var clock = Stopwatch.StartNew();
            for (var r = 0; r < m; r++) bs.CopyTo(expected, r * n);
            Sgemm(m, n, k, xs, ws, expected);
            if (run >= 0) blasTimes[run] = clock.Elapsed.TotalSeconds;
        }
        Array.Sort(blasTimes);
        var diff = gpu.Zip(expected).Max(p => Math.Abs(p.First - p.Second));
        var flops = 2.0 * m * k * n;
        Console.WriteLine($"# adapter: {device.Description}; {Environment.ProcessorCount} cores; median of {reps}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-28} {m}x{k}x{n}  wgsl {times[reps / 2] * 1e3,9:F2} ms {flops / times[reps / 2] / 1e9,7:F1} GFLOP/s   sgemm {blasTimes[reps / 2] * 1e3,8:F2} ms {flops / blasTimes[reps / 2] / 1e9,7:F1} GFLOP/s   " +
            $"ratio {blasTimes[reps / 2] / times[reps / 2] * 100,5:F1}%   max|diff| {diff:E2}"));
        return diff <= 1e-3 ? 0 : 1;
    }

    /// <summary>The product kernel the backends use for this N, with its tile.</summary>
    private static (ComputeKernel, int, int, string) Product(KernelCache cache, int n)
    {
        var kernel = MatmulOp.Kernel(cache, WeightPrecision.F32, n % 4 == 0);
        var (rows, columns) = MatmulOp.TileOf(kernel);
        return (kernel, rows, columns, kernel.Key);
    }

    private static unsafe void Sgemm(int m, int n, int k, float[] x, float[] w, float[] y)
    {
        fixed (float* a = x, b = w, c = y) OpenBlas.Sgemm(m, n, k, 1f, a, k, b, n, 1f, c, n);
    }

    private static GpuBuffer Upload(WebGpuDevice device, string label, float[] values)
    {
        var buffer = GpuBuffer.Create(device, label, (ulong)values.Length * 4, GpuBuffer.Storage);
        buffer.Write<float>(device, values);
        return buffer;
    }
}
