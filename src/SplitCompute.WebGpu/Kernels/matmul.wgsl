// Y (M, N) = X (M, K) W (K, N) + bias (N); with the epilogue's ACCUMULATE, Y += X W + bias (the residual stream, fused).
// Register-blocked: a workgroup of 16x16 threads owns a 64x64 tile of Y, each thread a 4x4 block in registers; K is consumed
// in slices of 16 staged through workgroup memory (8 KiB). On lavapipe this is ~5x the 16x16 one-output-per-thread kernel.
// W is f32, or f16 in the f16 variant (this alias line is replaced and "enable f16;" prepended); accumulation is always f32.
alias Weight = f32;

struct Params {
    m: u32,
    n: u32,
    k: u32,
    epilogue: u32,  // ACCUMULATE | GELU_TANH | GELU_ERF, below
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (M, K)
@group(0) @binding(2) var<storage, read> w: array<Weight>;       // (K, N), HF Conv1D layout
@group(0) @binding(3) var<storage, read> bias: array<f32>;       // (N)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;    // (M, N)

// #include "epilogue.wgsl"

const TILE: u32 = 64u;
const SLICE: u32 = 16u;

var<workgroup> xs: array<array<f32, 64>, 16>;  // [k][row of the tile]
var<workgroup> ws: array<array<f32, 64>, 16>;  // [k][column of the tile]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3<u32>,
        @builtin(local_invocation_id) local: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let row0 = group.y * TILE;
    let col0 = group.x * TILE;
    var acc: array<array<f32, 4>, 4>;

    for (var k0 = 0u; k0 < params.k; k0 += SLICE) {
        // Stage a 64x16 slice of X and a 16x64 slice of W: 1024 values each, 4 per thread, zero outside the matrices.
        for (var i = 0u; i < 4u; i++) {
            let e = lid + i * 256u;
            let r = e / SLICE;
            let kx = e % SLICE;
            var xv = 0.0;
            if (row0 + r < params.m && k0 + kx < params.k) {
                xv = x[(row0 + r) * params.k + k0 + kx];
            }
            xs[kx][r] = xv;
            let kw = e / TILE;
            let c = e % TILE;
            var wv = 0.0;
            if (k0 + kw < params.k && col0 + c < params.n) {
                wv = f32(w[(k0 + kw) * params.n + col0 + c]);
            }
            ws[kw][c] = wv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < SLICE; kk++) {
            var a: array<f32, 4>;
            var b: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                a[i] = xs[kk][local.y * 4u + i];
                b[i] = ws[kk][local.x * 4u + i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i][j] = fma(a[i], b[j], acc[i][j]);
                }
            }
        }
        workgroupBarrier();
    }

    for (var i = 0u; i < 4u; i++) {
        let r = row0 + local.y * 4u + i;
        if (r >= params.m) {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let c = col0 + local.x * 4u + j;
            if (c >= params.n) {
                continue;
            }
            let v = acc[i][j] + bias[c];
            let index = r * params.n + c;
            let value = activate(v, params.epilogue);
            if ((params.epilogue & ACCUMULATE) != 0u) {
                y[index] = y[index] + value;
            } else {
                y[index] = value;
            }
        }
    }
}
