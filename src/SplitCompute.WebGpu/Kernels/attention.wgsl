// Self-attention with a padding mask, causal (GPT-2) or bidirectional (BERT-family encoders).
// Legend: B batch, T tokens, C channels, H heads, D = C / H.
// qkv (B, T, 3C) holds q | k | v per token; out (B, T, C) gets head h in columns [h D, (h+1) D).
// Query i attends key j when mask[b, j] = 1 and, if causal, j <= i; a query with no such key gets zeros (as the CPU backend).
// One workgroup of 64 threads per (query i, b H + h); the T scores of a query stay in workgroup memory (T <= 1024).
struct Params {
    t: u32,
    c: u32,
    heads: u32,
    causal: u32,  // 1: keys j <= i only; 0: every key
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;        // (B, T, 3C)
@group(0) @binding(2) var<storage, read> mask: array<u32>;       // (B, T), 1 = real token
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // (B, T, C)

const MASKED: f32 = -1.0e30;

var<workgroup> scores: array<f32, 1024>;
var<workgroup> partial: array<f32, 64>;

fn workgroup_reduce(lid: u32, value: f32, take_max: bool) -> f32 {
    partial[lid] = value;
    workgroupBarrier();
    for (var stride = 32u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            if (take_max) {
                partial[lid] = max(partial[lid], partial[lid + stride]);
            } else {
                partial[lid] += partial[lid + stride];
            }
        }
        workgroupBarrier();
    }
    let result = partial[0];
    workgroupBarrier();
    return result;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let i = group.x;
    let b = group.y / params.heads;
    let h = group.y % params.heads;
    let c = params.c;
    let d = c / params.heads;
    let scale = 1.0 / sqrt(f32(d));
    let q = (b * params.t + i) * 3u * c + h * d;
    let keys = select(params.t, i + 1u, params.causal != 0u);  // keys [0, keys) are visible to query i

    // scores[j] = q . k_j / sqrt(D) for visible keys, MASKED otherwise.
    var local_max = MASKED;
    for (var j = lid; j < keys; j += 64u) {
        var s = MASKED;
        if (mask[b * params.t + j] != 0u) {
            let k = (b * params.t + j) * 3u * c + c + h * d;
            var dot = 0.0;
            for (var e = 0u; e < d; e++) {
                dot = fma(qkv[q + e], qkv[k + e], dot);
            }
            s = dot * scale;
        }
        scores[j] = s;
        local_max = max(local_max, s);
    }
    let top = workgroup_reduce(lid, local_max, true);

    // p_j = exp(s_j - max), 0 for masked keys (also when every key is masked: then the sum is 0 and the output 0).
    var local_sum = 0.0;
    for (var j = lid; j < keys; j += 64u) {
        let s = scores[j];
        let p = select(0.0, exp(s - top), s > MASKED);
        scores[j] = p;
        local_sum += p;
    }
    let total = workgroup_reduce(lid, local_sum, false);
    let inverse = select(0.0, 1.0 / total, total > 0.0);

    // out_i = sum_j p_j v_j / sum_j p_j, each thread owning output dimensions lid, lid + 64, ...
    let o = (b * params.t + i) * c + h * d;
    for (var e = lid; e < d; e += 64u) {
        var acc = 0.0;
        for (var j = 0u; j < keys; j++) {
            acc = fma(scores[j], qkv[(b * params.t + j) * 3u * c + 2u * c + h * d + e], acc);
        }
        out[o + e] = acc * inverse;
    }
}
