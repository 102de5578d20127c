// Y (M, N) = X (M, K) W (K, N) + bias (N); with the epilogue's ACCUMULATE, Y += X W + bias (the residual stream, fused). N % 4 == 0.
// Written for how llvmpipe (lavapipe) compiles compute shaders, and fine on GPUs: every storage load costs llvmpipe a per-lane
// bounds check and scalar load whatever its address, so the kernel does as few loads per multiply-add as registers allow and no
// workgroup memory. An invocation owns TILE_ROWS rows x 8 columns of Y (two vec4 accumulators per row): per k it loads two vec4
// of W (contiguous across the 8 invocations) and one X value per row, for 64 multiply-adds. Measured on this 2-core VM
// (benchmarks/results/webgpu-matmul.txt): 7-10x the 64x64 shared-memory kernel (matmul.wgsl), which stays for N % 4 != 0.
// W is f32, or f16 in the f16 variant (matmul_rows_interface.wgsl's alias line); accumulation is always f32.
// #include "matmul_rows_interface.wgsl"

const TILE_ROWS: u32 = 16u;
const TILE_COLS: u32 = 64u;  // 8 invocations x 8 columns

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let m = params.m;
    let n = params.n;
    let n4 = n / 4u;
    let row0 = group.y * TILE_ROWS;
    let c4 = group.x * (TILE_COLS / 4u) + lid * 2u;  // this invocation's first vec4 column
    // Row and column indices clamped into the matrices: loads stay in bounds, stores are checked below.
    var xRow: array<u32, TILE_ROWS>;
    for (var i = 0u; i < TILE_ROWS; i++) {
        xRow[i] = min(row0 + i, m - 1u) * params.k;
    }
    let w0 = min(c4, n4 - 1u);
    let w1 = min(c4 + 1u, n4 - 1u);
    var lo: array<vec4<f32>, TILE_ROWS>;  // columns 4 c4 .. + 3
    var hi: array<vec4<f32>, TILE_ROWS>;  // columns 4 c4 + 4 .. + 7
    for (var k = 0u; k < params.k; k++) {
        let a = vec4<f32>(w[k * n4 + w0]);
        let b = vec4<f32>(w[k * n4 + w1]);
        for (var i = 0u; i < TILE_ROWS; i++) {
            let xv = x[xRow[i] + k];
            lo[i] += xv * a;
            hi[i] += xv * b;
        }
    }
    let col0 = c4 * 4u;
    for (var i = 0u; i < TILE_ROWS; i++) {
        let r = row0 + i;
        if (r >= m) {
            break;
        }
        for (var j = 0u; j < 8u; j++) {
            let c = col0 + j;
            if (c >= n) {
                break;
            }
            var v = bias[c];
            if (j < 4u) {
                v += lo[i][j];
            } else {
                v += hi[i][j - 4u];
            }
            let index = r * n + c;
            let value = activate(v, params.epilogue);
            if ((params.epilogue & ACCUMULATE) != 0u) {
                y[index] = y[index] + value;
            } else {
                y[index] = value;
            }
        }
    }
}
