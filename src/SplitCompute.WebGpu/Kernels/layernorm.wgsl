// LayerNorm over rows of C: y = (x - mean) / sqrt(var + eps) * gamma + beta, biased variance as torch.nn.LayerNorm.
// One workgroup of 256 threads per row; two passes (mean, then the centred sum of squares) to keep f32 precision.
struct Params {
    rows: u32,
    c: u32,
    eps: f32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (R, C)
@group(0) @binding(2) var<storage, read> gamma: array<f32>;     // (C)
@group(0) @binding(3) var<storage, read> beta: array<f32>;      // (C)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;   // (R, C)

var<workgroup> partial: array<f32, 256>;

// Sum of every thread's value; all threads get the result.
fn workgroup_sum(lid: u32, value: f32) -> f32 {
    partial[lid] = value;
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();  // everyone has read partial[0] before it is reused
    return total;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let base = group.x * params.c;
    var sum = 0.0;
    for (var i = lid; i < params.c; i += 256u) {
        sum += x[base + i];
    }
    let mean = workgroup_sum(lid, sum) / f32(params.c);
    var squares = 0.0;
    for (var i = lid; i < params.c; i += 256u) {
        let d = x[base + i] - mean;
        squares += d * d;
    }
    let variance = workgroup_sum(lid, squares) / f32(params.c);
    let inverse = 1.0 / sqrt(variance + params.eps);
    for (var i = lid; i < params.c; i += 256u) {
        y[base + i] = (x[base + i] - mean) * inverse * gamma[i] + beta[i];
    }
}
