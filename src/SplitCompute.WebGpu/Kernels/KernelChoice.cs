namespace SplitCompute.WebGpu.Kernels;

/// <summary>
/// Which form of each block kernel runs on an adapter, chosen by timing every form the adapter can run on a gpt2-sized block
/// (<see cref="Probe.KernelTuning"/>) and cached with the capability probe. The subgroup forms were written for llvmpipe (8-wide
/// subgroups, costly loads, barriers that switch coroutines); on a GPU the plain forms may win, so the choice is measured, not
/// assumed. A form the device cannot run (a subgroup form without subgroups of 8) is never chosen here or honoured later.
/// </summary>
/// <param name="Product">One of <see cref="Tiled"/>, <see cref="Rows"/>, <see cref="RowsSubgroups"/>.</param>
/// <param name="Attention">One of <see cref="Plain"/>, <see cref="Subgroups"/>.</param>
/// <param name="LayerNorm">One of <see cref="Plain"/>, <see cref="Subgroups"/>.</param>
/// <param name="Milliseconds">Each candidate's median time ("product/rows", "attention/plain", ...), for the record.</param>
public sealed record KernelChoice(string Product, string Attention, string LayerNorm, IReadOnlyDictionary<string, double> Milliseconds)
{
    /// <summary>matmul.wgsl: 64x64 workgroup tiles through workgroup memory.</summary>
    public const string Tiled = "tiled";

    /// <summary>matmul_rows.wgsl: 16 rows x 8 columns an invocation, no workgroup memory.</summary>
    public const string Rows = "rows";

    /// <summary>matmul_rows_subgroups.wgsl: as rows, X shared by subgroupBroadcast.</summary>
    public const string RowsSubgroups = "rows-subgroups";

    /// <summary>attention.wgsl / layernorm.wgsl: workgroup-memory reductions.</summary>
    public const string Plain = "plain";

    /// <summary>attention_subgroups.wgsl / layernorm_subgroups.wgsl.</summary>
    public const string Subgroups = "subgroups";
}
