// matmul_rows.wgsl with X shared through the subgroup: Y (M, N) = X (M, K) W (K, N) + bias (N); with the epilogue's ACCUMULATE,
// Y += X W + bias. N % 4 == 0. Used where the device has the subgroups feature and subgroups of at least 8 invocations, so this
// 8-invocation workgroup is one subgroup: per k each invocation loads one X value of row lid and one of row lid + 8, and the 16
// rows' values reach every invocation by subgroupBroadcast (a register shuffle), instead of 16 loads each. On llvmpipe, where a
// storage load costs a per-lane bounds check and scalar load, that halves a product's time (benchmarks/results/webgpu-matmul.txt).
// W is f32, or f16 in the f16 variant (matmul_rows_interface.wgsl's alias line); accumulation is always f32.
enable subgroups;
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
    let rowA = min(row0 + lid, m - 1u) * params.k;       // the rows whose X this invocation loads, clamped into X
    let rowB = min(row0 + lid + 8u, m - 1u) * params.k;
    let w0 = min(c4, n4 - 1u);
    let w1 = min(c4 + 1u, n4 - 1u);
    var lo: array<vec4<f32>, TILE_ROWS>;  // columns 4 c4 .. + 3
    var hi: array<vec4<f32>, TILE_ROWS>;  // columns 4 c4 + 4 .. + 7
    for (var k = 0u; k < params.k; k++) {
        let a = vec4<f32>(w[k * n4 + w0]);
        let b = vec4<f32>(w[k * n4 + w1]);
        let xa = x[rowA + k];
        let xb = x[rowB + k];
        // Row i's value from invocation i (rows 0..7) and i + 8's from the same one; the lane index must be a constant.
        { let s = subgroupBroadcast(xa, 0u); let t = subgroupBroadcast(xb, 0u); lo[0] += s * a; hi[0] += s * b; lo[8] += t * a; hi[8] += t * b; }
        { let s = subgroupBroadcast(xa, 1u); let t = subgroupBroadcast(xb, 1u); lo[1] += s * a; hi[1] += s * b; lo[9] += t * a; hi[9] += t * b; }
        { let s = subgroupBroadcast(xa, 2u); let t = subgroupBroadcast(xb, 2u); lo[2] += s * a; hi[2] += s * b; lo[10] += t * a; hi[10] += t * b; }
        { let s = subgroupBroadcast(xa, 3u); let t = subgroupBroadcast(xb, 3u); lo[3] += s * a; hi[3] += s * b; lo[11] += t * a; hi[11] += t * b; }
        { let s = subgroupBroadcast(xa, 4u); let t = subgroupBroadcast(xb, 4u); lo[4] += s * a; hi[4] += s * b; lo[12] += t * a; hi[12] += t * b; }
        { let s = subgroupBroadcast(xa, 5u); let t = subgroupBroadcast(xb, 5u); lo[5] += s * a; hi[5] += s * b; lo[13] += t * a; hi[13] += t * b; }
        { let s = subgroupBroadcast(xa, 6u); let t = subgroupBroadcast(xb, 6u); lo[6] += s * a; hi[6] += s * b; lo[14] += t * a; hi[14] += t * b; }
        { let s = subgroupBroadcast(xa, 7u); let t = subgroupBroadcast(xb, 7u); lo[7] += s * a; hi[7] += s * b; lo[15] += t * a; hi[15] += t * b; }
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
