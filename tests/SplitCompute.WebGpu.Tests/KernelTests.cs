using SplitCompute.Model.Cpu;
using SplitCompute.WebGpu.Kernels;

namespace SplitCompute.WebGpu.Tests;

/// <summary>Each WGSL kernel against the CPU backend's own routine (or a plain loop for the product) on awkward shapes.</summary>
public sealed unsafe class KernelTests
{
    [SkippableTheory]
    [InlineData(1, 64, 64, false, false)]
    [InlineData(37, 50, 70, false, false)]      // N % 4 != 0: the 64x64 kernel; nothing a multiple of its tile or 16-wide K slice
    [InlineData(37, 50, 68, false, false)]      // the 16x64 rows kernel: M, N, K none a multiple of its tile
    [InlineData(130, 192, 576, true, false)]    // gpt2-mini's QKV shape, accumulated into an existing Y (the residual path)
    [InlineData(130, 192, 576, true, true)]     // the same on the 64x64 kernel
    [InlineData(17, 96, 200, false, false)]     // an encoder's odd inner width
    public void Matmul_f32_matches_a_double_precision_loop(int m, int k, int n, bool accumulate, bool tiled) =>
        CheckMatmul(m, k, n, accumulate, tiled, subgroups: true);

    /// <summary>The rows kernel without subgroups (what a device without the feature runs), on the shapes the subgroup one takes above.</summary>
    [SkippableTheory]
    [InlineData(37, 50, 68, false)]
    [InlineData(130, 192, 576, true)]
    public void Matmul_rows_without_subgroups_matches_a_double_precision_loop(int m, int k, int n, bool accumulate) =>
        CheckMatmul(m, k, n, accumulate, tiled: false, subgroups: false);

    [SkippableFact]
    public void Where_the_device_has_subgroups_of_8_the_products_share_X_through_them()
    {
        using var harness = new KernelHarness();
        var kernel = MatmulOp.Kernel(harness.Kernels, WeightPrecision.F32, columnsMultipleOf4: true);
        Assert.Equal(harness.Device.HasSubgroupsOf8 ? "matmul_rows16x64_sg_f32" : "matmul_rows16x64_f32", kernel.Key);
        Assert.Equal(harness.Device.Features.Contains("subgroups"), harness.Device.HasSubgroupsOf8);  // lavapipe: subgroups of 8
    }

    private static void CheckMatmul(int m, int k, int n, bool accumulate, bool tiled, bool subgroups)
    {
        using var harness = new KernelHarness();
        var (x, w, bias, y0) = (Tolerance.Random(m * k, 1), Tolerance.Random(k * n, 2, 0.2f), Tolerance.Random(n, 3), Tolerance.Random(m * n, 4));
        var expected = Reference(x, w, bias, accumulate ? y0 : null, m, k, n);

        var kernel = MatmulOp.Kernel(harness.Kernels, WeightPrecision.F32, columnsMultipleOf4: n % 4 == 0 && !tiled, subgroups);
        var parameters = harness.Uniform("params");
        var yBuffer = harness.Upload("y", y0);
        MatmulOp.WriteParams(harness.Device, parameters, m, n, k, accumulate ? ProductEpilogue.Accumulate : ProductEpilogue.Store);
        using var bindings = MatmulOp.Bind(harness.Device, kernel, "test", parameters, harness.Upload("x", x), harness.Upload("w", w), harness.Upload("bias", bias), yBuffer);
        var actual = harness.Run("matmul", r => MatmulOp.Record(r, kernel, bindings, m, n), yBuffer, m * n);

        Tolerance.AssertClose(expected, actual, Tolerance.F32, $"matmul f32 {m}x{k}x{n}");
    }

    [SkippableFact]
    public void Matmul_f16_weights_match_the_f32_product_within_half_precision_rounding()
    {
        using var harness = new KernelHarness();
        Skip.IfNot(harness.Device.HasShaderF16, $"adapter {harness.Device.Description} has no shader-f16");
        const int m = 33, k = 768, n = 100;
        var (x, w, bias) = (Tolerance.Random(m * k, 5), Tolerance.Random(k * n, 6, 0.08f), Tolerance.Random(n, 7, 0.05f));
        var expected = Reference(x, w, bias, null, m, k, n);

        var kernel = MatmulOp.Kernel(harness.Kernels, WeightPrecision.F16, columnsMultipleOf4: true);
        var parameters = harness.Uniform("params");
        var yBuffer = harness.Upload("y", new float[m * n]);
        MatmulOp.WriteParams(harness.Device, parameters, m, n, k, ProductEpilogue.Store);
        var wHalf = w.Select(v => (Half)v).ToArray();
        using var bindings = MatmulOp.Bind(harness.Device, kernel, "test", parameters, harness.Upload("x", x), harness.Upload("w f16", wHalf), harness.Upload("bias", bias), yBuffer);
        var actual = harness.Run("matmul f16", r => MatmulOp.Record(r, kernel, bindings, m, n), yBuffer, m * n);

        // Rounding a weight to f16 changes it by at most 2^-11 relative (~4.9e-4). The error of a K-term dot product is a sum
        // of K independent such errors: about sqrt(K) * 2^-12 * |x| |w| (uniform rounding, |x| <= 1, |w| <= 0.08): ~2.7e-4 at
        // K = 768, and the worst case K * 2^-11 * 0.08 = 0.03. We allow 5e-3: ~20 sigma above the typical error, far below
        // any kernel bug (a wrong index or a dropped slice moves results by ~0.1 or more).
        Tolerance.AssertClose(expected, actual, 5e-3, "matmul f16 weights");
        // And the f16 kernel really used the f16 weights: against an f16-rounded reference it is as close as f32.
        var roundedReference = Reference(x, [.. wHalf.Select(h => (float)h)], bias, null, m, k, n);
        Tolerance.AssertClose(roundedReference, actual, Tolerance.F32, "matmul f16 against f16-rounded weights");
    }

    [SkippableTheory]
    [InlineData(3, 64, false)]
    [InlineData(3, 64, true)]
    [InlineData(5, 1600, false)]   // gpt2-xl width: more columns than threads
    [InlineData(5, 1600, true)]
    [InlineData(4, 100, true)]     // 25 vec4s: the 8 invocations take unequal shares
    [InlineData(2, 6, true)]       // C % 4 != 0: the plain kernel
    public void LayerNorm_matches_the_CPU_backend(int rows, int c, bool subgroups)
    {
        using var harness = new KernelHarness();
        var x = Tolerance.Random(rows * c, 8, 3f);
        for (var i = 0; i < x.Length; i++) x[i] += 0.5f;  // a non-zero mean, so the centring matters
        var (gamma, beta) = (Tolerance.Random(c, 9), Tolerance.Random(c, 10));
        var expected = new float[x.Length];
        for (var r = 0; r < rows; r++) LayerNormJob.Normalize(x.AsSpan(r * c, c), expected.AsSpan(r * c, c), gamma, beta, 1e-5f);

        var kernel = LayerNormOp.Kernel(harness.Kernels, c, subgroups);
        if (subgroups) Assert.Equal(harness.Device.HasSubgroupsOf8 && c % 4 == 0, kernel.Key.StartsWith("layernorm_sg_", StringComparison.Ordinal));
        var parameters = harness.Uniform("params");
        var yBuffer = harness.Upload("y", new float[x.Length]);
        LayerNormOp.WriteParams(harness.Device, parameters, rows, c, 1e-5f);
        using var bindings = LayerNormOp.Bind(harness.Device, kernel, "test", parameters, harness.Upload("x", x), harness.Upload("gamma", gamma), harness.Upload("beta", beta), yBuffer);
        var actual = harness.Run("layernorm", r => LayerNormOp.Record(r, kernel, bindings, rows), yBuffer, x.Length);

        Tolerance.AssertClose(expected, actual, Tolerance.F32, $"layernorm {rows}x{c}");
    }

    /// <summary>The MLP's first product with its GELU fused (tanh for GPT-2, erf for the encoders), on every product kernel.</summary>
    [SkippableTheory]
    [InlineData(false, true, false)]   // 16x64 rows kernel through subgroups, tanh
    [InlineData(false, true, true)]    // the same, erf
    [InlineData(false, false, false)]  // rows kernel without subgroups
    [InlineData(true, false, true)]    // 64x64 kernel (N % 4 != 0 below)
    public void A_product_with_GELU_fused_matches_the_CPU_backend_including_large_values(bool tiled, bool subgroups, bool exact)
    {
        using var harness = new KernelHarness();
        var (m, k) = (19, 96);
        var n = tiled ? 70 : 68;
        var (x, w, bias) = (Tolerance.Random(m * k, 14), Tolerance.Random(k * n, 15, 0.3f), Tolerance.Random(n, 16, 2f));
        bias[0] = 40f;
        bias[1] = -40f;  // far outside tanh's clamp: must give x and -0, not NaN
        var expected = Reference(x, w, bias, null, m, k, n);
        if (exact)
        {
            for (var i = 0; i < expected.Length; i++) expected[i] = SplitCompute.Model.Encoders.BertCpuEncoder.Gelu(expected[i]);
        }
        else
        {
            GeluJob.Apply(expected, new float[expected.Length]);
        }

        var kernel = MatmulOp.Kernel(harness.Kernels, WeightPrecision.F32, columnsMultipleOf4: !tiled, subgroups);
        var parameters = harness.Uniform("params");
        var yBuffer = harness.Upload("y", Tolerance.Random(m * n, 17));  // garbage: the epilogue stores, it does not add
        MatmulOp.WriteParams(harness.Device, parameters, m, n, k, exact ? ProductEpilogue.GeluErf : ProductEpilogue.GeluTanh);
        using var bindings = MatmulOp.Bind(harness.Device, kernel, "test", parameters, harness.Upload("x", x), harness.Upload("w", w), harness.Upload("bias", bias), yBuffer);
        var actual = harness.Run("matmul+gelu", r => MatmulOp.Record(r, kernel, bindings, m, n), yBuffer, m * n);

        Tolerance.AssertClose(expected, actual, Tolerance.F32, $"{kernel.Key} with {(exact ? "erf" : "tanh")} GELU {m}x{k}x{n}");
        Assert.All(actual, v => Assert.True(float.IsFinite(v), $"{kernel.Key}: a non-finite value"));
    }

    [SkippableTheory]
    [InlineData(2, 17, 64, 4, false)]
    [InlineData(1, 150, 768, 12, false)]  // gpt2 shape, more tokens than threads per workgroup
    [InlineData(2, 17, 128, 4, true)]     // D = 32, T not a multiple of the 8 queries a subgroup workgroup owns
    [InlineData(1, 150, 768, 12, true)]   // D = 64 (every GPT-2 size)
    [InlineData(2, 9, 256, 2, true)]      // D = 128
    public void Attention_matches_the_CPU_backend_with_causal_and_padding_masks(int b, int t, int c, int heads, bool subgroups)
    {
        using var harness = new KernelHarness();
        var kernel = AttentionOp.Kernel(harness.Kernels, c / heads, subgroups);
        if (subgroups) Assert.Equal(harness.Device.HasSubgroupsOf8, kernel.Key.StartsWith("attention_sg_", StringComparison.Ordinal));
        var qkv = Tolerance.Random(b * t * 3 * c, 12);
        var mask = new byte[b * t];
        Array.Fill(mask, (byte)1);
        for (var j = t - 5; j < t; j++) mask[j] = 0;                    // sequence 0 right-padded
        if (b > 1) { mask[t] = 0; mask[t + 1] = 0; }                     // sequence 1 left-padded: queries 0, 1 see no key -> zeros
        var expected = new float[b * t * c];
        fixed (float* pQkv = qkv)
        fixed (float* pOut = expected)
        fixed (byte* pMask = mask)
        {
            var job = new AttentionJob();
            job.Set(pQkv, pOut, pMask, t, c, heads);
            job.Execute(0, b * heads);
        }

        var parameters = harness.Uniform("params");
        var output = harness.Upload("out", Tolerance.Random(b * t * c, 13));  // garbage: every value must be overwritten
        AttentionOp.WriteParams(harness.Device, parameters, t, c, heads);
        using var bindings = AttentionOp.Bind(harness.Device, kernel, "test", parameters, harness.Upload("qkv", qkv),
            harness.Upload("mask", mask.Select(m => (uint)m).ToArray()), output);
        var actual = harness.Run("attention", r => AttentionOp.Record(r, kernel, bindings, b, t, heads), output, b * t * c);

        Tolerance.AssertClose(expected, actual, Tolerance.F32, $"attention B={b} T={t} C={c} H={heads}");
        if (b > 1) Assert.All(actual.AsSpan(t * c, 2 * c).ToArray(), v => Assert.Equal(0f, v));
    }

    [SkippableFact]
    public void Kernels_are_compiled_once_per_key_and_the_key_is_the_variant()
    {
        using var harness = new KernelHarness();
        var first = MatmulOp.Kernel(harness.Kernels, WeightPrecision.F32, columnsMultipleOf4: false);
        Assert.Same(first, MatmulOp.Kernel(harness.Kernels, WeightPrecision.F32, columnsMultipleOf4: false));
        Assert.Equal("matmul_f32_64x64", first.Key);
        Assert.Equal(1, harness.Kernels.Count);
        _ = LayerNormOp.Kernel(harness.Kernels, 64);
        Assert.Equal(2, harness.Kernels.Count);
    }

    private static float[] Reference(float[] x, float[] w, float[] bias, float[]? y0, int m, int k, int n)
    {
        var y = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = bias[j] + (y0?[(i * n) + j] ?? 0);
                for (var p = 0; p < k; p++) sum += (double)x[(i * k) + p] * w[(p * n) + j];
                y[(i * n) + j] = (float)sum;
            }
        }
        return y;
    }
}
