using SplitCompute.WebGpu.Gpu;

namespace SplitCompute.WebGpu.Kernels;

/// <summary>
/// Launcher for self-attention. Legend: B batch, T tokens, C channels, H heads, D = C / H. Where the device has subgroups of at
/// least 8 and D % 32 == 0 (every GPT-2 size and the BERT-family encoders we serve), attention_subgroups.wgsl: one 8-invocation
/// workgroup per (8 queries, batch x head), keys streamed once with an online softmax (~20x faster on lavapipe); else
/// attention.wgsl: one 64-thread workgroup per (query, batch x head), scores in workgroup memory.
/// </summary>
internal static class AttentionOp
{
    /// <summary>attention.wgsl keeps a query's scores in workgroup memory sized for GPT-2's 1024 positions.</summary>
    public const int MaxTokens = 1024;

    public const string File = "attention.wgsl";
    public const string SubgroupsFile = "attention_subgroups.wgsl";

    /// <summary>Queries one workgroup of attention_subgroups.wgsl owns.</summary>
    public const int SubgroupQueries = 8;

    private const string SubgroupsKeyPrefix = "attention_sg_d";

    /// <param name="headDim">D: the subgroup form is compiled for it (its rows stay in registers).</param>
    /// <param name="subgroups">Whether it may use the subgroup form where the device allows (false: tests of the plain one).</param>
    /// <remarks>Where the probe tuned this adapter (<see cref="KernelCache.Choice"/>), its attention form is used whenever it can run.</remarks>
    public static ComputeKernel Kernel(KernelCache cache, int headDim, bool subgroups = true) =>
        subgroups && cache.Device.HasSubgroupsOf8 && headDim % 32 == 0 && headDim <= 256 && cache.Choice?.Attention is null or KernelChoice.Subgroups
            ? cache.Get(SubgroupsKeyPrefix + headDim, SubgroupsFile, ("const D4: u32 = 16u;", $"const D4: u32 = {headDim / 4}u;"))
            : cache.Get("attention_f32_64", File);

    /// <summary>Bindings: params, qkv (B, T, 3C), mask (B, T) as u32, out (B, T, C).</summary>
    public static BindGroup Bind(WebGpuDevice device, ComputeKernel kernel, string label, GpuBuffer parameters, GpuBuffer qkv, GpuBuffer mask, GpuBuffer output) =>
        BindGroup.Create(device, kernel, label, parameters, qkv, mask, output);

    /// <param name="causal">GPT-2's mask (keys up to the query); false: every real key (BERT-family encoders).</param>
    public static void WriteParams(WebGpuDevice device, GpuBuffer parameters, int t, int c, int heads, bool causal = true)
    {
        if (t > MaxTokens) throw new ArgumentOutOfRangeException(nameof(t), $"attention kernel handles T <= {MaxTokens}; got {t}");
        parameters.Write<uint>(device, [(uint)t, (uint)c, (uint)heads, causal ? 1u : 0u]);
    }

    public static void Record(CommandRecorder recorder, ComputeKernel kernel, BindGroup bindings, int b, int t, int heads)
    {
        var queryGroups = kernel.Key.StartsWith(SubgroupsKeyPrefix, StringComparison.Ordinal) ? (t + SubgroupQueries - 1) / SubgroupQueries : t;
        recorder.Dispatch(kernel, bindings, (uint)queryGroups, (uint)(b * heads));
    }
}
