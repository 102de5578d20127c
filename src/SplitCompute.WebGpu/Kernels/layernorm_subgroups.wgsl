// layernorm.wgsl for devices with subgroups of at least 8 invocations: y = (x - mean) / sqrt(var + eps) * gamma + beta over rows
// of C (C % 4 == 0), biased variance as torch.nn.LayerNorm, two passes (mean, then the centred sum of squares) for f32 precision.
// One 8-invocation workgroup (one subgroup) per row: each invocation takes every 8th vec4 of the row and subgroupAdd combines the
// sums, so there is no workgroup memory and no barrier (layernorm.wgsl's 256-thread workgroup synchronises 18 times per row,
// which on llvmpipe costs more than the arithmetic).
enable subgroups;

struct Params {
    rows: u32,
    c: u32,
    eps: f32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;        // (R, C / 4)
@group(0) @binding(2) var<storage, read> gamma: array<vec4<f32>>;    // (C / 4)
@group(0) @binding(3) var<storage, read> beta: array<vec4<f32>>;     // (C / 4)
@group(0) @binding(4) var<storage, read_write> y: array<vec4<f32>>;  // (R, C / 4)

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let c4 = params.c / 4u;
    let base = group.x * c4;
    var sum = vec4<f32>(0.0);
    for (var i = lid; i < c4; i += 8u) {
        sum += x[base + i];
    }
    let mean = subgroupAdd(sum.x + sum.y + sum.z + sum.w) / f32(params.c);
    var squares = vec4<f32>(0.0);
    for (var i = lid; i < c4; i += 8u) {
        let d = x[base + i] - mean;
        squares += d * d;
    }
    let variance = subgroupAdd(squares.x + squares.y + squares.z + squares.w) / f32(params.c);
    let inverse = 1.0 / sqrt(variance + params.eps);
    for (var i = lid; i < c4; i += 8u) {
        y[base + i] = (x[base + i] - mean) * inverse * gamma[i] + beta[i];
    }
}
