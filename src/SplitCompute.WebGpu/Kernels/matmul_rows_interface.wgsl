// The interface of the rows product kernels (matmul_rows.wgsl, matmul_rows_subgroups.wgsl), included where they say
// `// #include "matmul_rows_interface.wgsl"`. W is f32, or f16 in the f16 variant (the alias line is replaced and "enable f16;"
// put before it, after any `enable` of the including file).
alias Weight4 = vec4<f32>;

struct Params {
    m: u32,
    n: u32,
    k: u32,
    epilogue: u32,  // ACCUMULATE | GELU_TANH | GELU_ERF, below
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (M, K)
@group(0) @binding(2) var<storage, read> w: array<Weight4>;      // (K, N / 4), HF Conv1D layout
@group(0) @binding(3) var<storage, read> bias: array<f32>;       // (N)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;    // (M, N)

// #include "epilogue.wgsl"
