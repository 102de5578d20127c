using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Kernels;

/// <summary>Launcher for attention.wgsl: one workgroup per (query, batch x head). Legend: B batch, T tokens, C channels, H heads.</summary>
internal static class AttentionOp
{
    /// <summary>The kernel keeps a query's scores in workgroup memory sized for GPT-2's 1024 positions.</summary>
    public const int MaxTokens = 1024;

    public static ComputeKernel Kernel(KernelCache cache) => cache.Get("attention_f32_64", "attention.wgsl");

    /// <summary>Bindings: params, qkv (B, T, 3C), mask (B, T) as u32, out (B, T, C).</summary>
    public static BindGroup Bind(WebGpuDevice device, ComputeKernel kernel, string label, GpuBuffer parameters, GpuBuffer qkv, GpuBuffer mask, GpuBuffer output) =>
        BindGroup.Create(device, kernel, label, parameters, qkv, mask, output);

    /// <param name="causal">GPT-2's mask (keys up to the query); false: every real key (BERT-family encoders).</param>
    public static void WriteParams(WebGpuDevice device, GpuBuffer parameters, int t, int c, int heads, bool causal = true)
    {
        if (t > MaxTokens) throw new ArgumentOutOfRangeException(nameof(t), $"attention kernel handles T <= {MaxTokens}; got {t}");
        parameters.Write<uint>(device, [(uint)t, (uint)c, (uint)heads, causal ? 1u : 0u]);
    }

    public static void Record(CommandRecorder recorder, ComputeKernel kernel, BindGroup bindings, int b, int t, int heads) =>
        recorder.Dispatch(kernel, bindings, (uint)t, (uint)(b * heads));
}
