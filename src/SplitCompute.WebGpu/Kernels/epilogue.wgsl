// Included by the product kernels (matmul.wgsl, matmul_rows.wgsl, matmul_rows_subgroups.wgsl) where they say
// `// #include "epilogue.wgsl"`: KernelSource (C#) and the JavaScript client put this file's text there before compiling.
// The epilogue (params.epilogue, bit flags): 1 adds into Y (the residual stream), 2 applies GPT-2's tanh GELU ("gelu_new"),
// 4 BERT's exact erf GELU, to X W + bias before it is stored; the products that feed a GELU need no pass of their own.
// The tanh argument is clamped to +-15 (tanh is 1 in f32 there) so no exp-based tanh overflows to NaN. WGSL has no erf:
// Abramowitz and Stegun 7.1.26 (|error| <= 1.5e-7), as the CPU encoder.
const ACCUMULATE: u32 = 1u;
const GELU_TANH: u32 = 2u;
const GELU_ERF: u32 = 4u;

fn erf_approx(x: f32) -> f32 {
    let a = abs(x);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
    return sign(x) * (1.0 - poly * exp(-a * a));
}

fn activate(v: f32, flags: u32) -> f32 {
    if ((flags & GELU_TANH) != 0u) {
        return 0.5 * v * (1.0 + tanh(clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -15.0, 15.0)));
    }
    if ((flags & GELU_ERF) != 0u) {
        return 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476));
    }
    return v;
}
