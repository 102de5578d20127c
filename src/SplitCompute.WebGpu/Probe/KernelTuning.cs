using System.Diagnostics;
using SplitCompute.WebGpu.Gpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Probe;

/// <summary>
/// The probe's short autotune (issue 23): every form of the product, attention and LayerNorm kernels this adapter can run, timed
/// on a gpt2-sized block at T = 128 (product 128 x 768 x 3072, attention with 12 heads, LayerNorm over 768), the median of a few
/// runs after a warm-up; the fastest of each becomes the adapter's <see cref="KernelChoice"/>. About a second on lavapipe (the
/// 64x64 product alone is ~0.15 s a run there); it runs with the probe, in the background, never inside a request.
/// </summary>
public static class KernelTuning
{
    private const int T = 128, C = 768, Heads = 12, Inner = 4 * C;
    private const int Runs = 3;

    public static KernelChoice Measure(WebGpuDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var kernels = new KernelCache(device);
        var times = new Dictionary<string, double>(StringComparer.Ordinal);
        using var inputs = new TuningBuffers(device, T, C, Inner);

        string[] products = device.HasSubgroupsOf8 ? [KernelChoice.Tiled, KernelChoice.Rows, KernelChoice.RowsSubgroups] : [KernelChoice.Tiled, KernelChoice.Rows];
        MatmulOp.WriteParams(device, inputs.ProductParams, T, Inner, C, ProductEpilogue.Store);
        foreach (var form in products)
        {
            Try(times, "product/" + form, () =>
            {
                var kernel = MatmulOp.Form(kernels, WeightPrecision.F32, rows: form != KernelChoice.Tiled, subgroups: form == KernelChoice.RowsSubgroups);
                using var bindings = MatmulOp.Bind(device, kernel, $"tuning {kernel.Key}", inputs.ProductParams, inputs.X, inputs.W, inputs.Bias, inputs.Y);
                return TimeMs(device, kernel.Key, r => MatmulOp.Record(r, kernel, bindings, T, Inner));
            });
        }

        string[] subgroupForms = device.HasSubgroupsOf8 ? [KernelChoice.Plain, KernelChoice.Subgroups] : [KernelChoice.Plain];
        AttentionOp.WriteParams(device, inputs.AttentionParams, T, C, Heads);
        foreach (var form in subgroupForms)
        {
            Try(times, "attention/" + form, () =>
            {
                var kernel = AttentionOp.Kernel(kernels, C / Heads, subgroups: form == KernelChoice.Subgroups);
                using var bindings = AttentionOp.Bind(device, kernel, $"tuning {kernel.Key}", inputs.AttentionParams, inputs.Qkv, inputs.Mask, inputs.Y);
                return TimeMs(device, kernel.Key, r => AttentionOp.Record(r, kernel, bindings, 1, T, Heads));
            });
        }

        LayerNormOp.WriteParams(device, inputs.LayerNormParams, T, C, 1e-5f);
        foreach (var form in subgroupForms)
        {
            Try(times, "layernorm/" + form, () =>
            {
                var kernel = LayerNormOp.Kernel(kernels, C, subgroups: form == KernelChoice.Subgroups);
                using var bindings = LayerNormOp.Bind(device, kernel, $"tuning {kernel.Key}", inputs.LayerNormParams, inputs.X, inputs.Bias, inputs.Bias, inputs.Y);
                return TimeMs(device, kernel.Key, r => LayerNormOp.Record(r, kernel, bindings, T));
            });
        }

        // A form this driver cannot compile or run is left out (its time is absent); the plain forms are the fallback.
        string Fastest(string stage, string[] forms) =>
            forms.Where(form => times.ContainsKey($"{stage}/{form}")).MinBy(form => times[$"{stage}/{form}"])
            ?? throw new WebGpuException($"kernel tuning on {device.Description}: no form of the {stage} kernel compiled and ran");
        return new KernelChoice(Fastest("product", products), Fastest("attention", subgroupForms), Fastest("layernorm", subgroupForms), times);
    }

    private static void Try(Dictionary<string, double> times, string name, Func<double> measure)
    {
        try
        {
            times[name] = measure();
        }
        catch (WebGpuException)
        {
            // not this form on this adapter; Fastest picks among the others
        }
    }

    /// <summary>Median wall time of one submission of <paramref name="record"/>, waited for, after one warm-up submission.</summary>
    private static double TimeMs(WebGpuDevice device, string label, Action<CommandRecorder> record)
    {
        var times = new double[Runs];
        for (var run = -1; run < Runs; run++)
        {
            var clock = Stopwatch.StartNew();
            using (var recorder = new CommandRecorder(device, $"tuning {label}"))
            {
                record(recorder);
                recorder.Submit();
            }
            device.WaitForQueue($"tuning {label}");
            if (run >= 0) times[run] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[Runs / 2];
    }
}
