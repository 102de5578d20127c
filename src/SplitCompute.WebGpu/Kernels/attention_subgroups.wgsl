// attention.wgsl for devices with subgroups of at least 8 invocations: the same mask and result, computed the way a product is.
// Legend: B batch, T tokens, C channels, H heads, D = C / H (D % 32 == 0; D4 = D / 4 is set per model when compiled).
// qkv (B, T, 3C) holds q | k | v per token; out (B, T, C) gets head h in columns [h D, (h+1) D).
// One 8-invocation workgroup (one subgroup) per (8 consecutive queries, b H + h); each invocation owns one query, keeps its q and
// its output row in registers and streams the keys once, 8 at a time, with an online softmax (running max and sum, rescaled once
// per 8 keys). A key's row is loaded once for all 8 queries: each invocation loads D4 / 8 of its vec4s and subgroupShuffle hands
// them round (a register shuffle). On llvmpipe, where every storage load is a per-lane bounds check and scalar load, this is ~20x
// attention.wgsl's time, whose workgroup per query loads every key for every query and synchronises 30 times.
// Query i attends key j when mask[b, j] = 1 and, if causal, j <= i; a query with no such key gets zeros (as the CPU backend).
enable subgroups;

struct Params {
    t: u32,
    c: u32,
    heads: u32,
    causal: u32,  // 1: keys j <= i only; 0: every key
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4<f32>>;        // (B, T, 3C / 4)
@group(0) @binding(2) var<storage, read> mask: array<u32>;             // (B, T), 1 = real token
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;  // (B, T, C / 4)

const D4: u32 = 16u;            // vec4s per head row (D / 4); replaced when the kernel is compiled for a model
const PER_LANE: u32 = D4 / 8u;  // vec4s of a key's row each invocation loads
const MASKED: f32 = -1.0e30;

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t = params.t;
    let row4 = 3u * params.c / 4u;           // vec4s per token in qkv
    let b = group.y / params.heads;
    let h = group.y % params.heads;
    let first = group.x * 8u;
    let i = first + lid;                      // this invocation's query; past T it computes a copy of T - 1 and writes nothing
    let token = b * t + min(i, t - 1u);
    let scale = 1.0 / sqrt(f32(D4 * 4u));

    var q: array<vec4<f32>, D4>;
    var o: array<vec4<f32>, D4>;
    for (var v = 0u; v < D4; v++) {
        q[v] = qkv[token * row4 + h * D4 + v] * scale;
        o[v] = vec4<f32>(0.0);
    }
    // Keys [0, keys) may be visible to some query of the group; the loop bounds are the same for every invocation.
    let keys = select(t, min(first + 8u, t), params.causal != 0u);
    var running_max = MASKED;
    var running_sum = 0.0;
    for (var j0 = 0u; j0 < keys; j0 += 8u) {
        // Invocation L reads key j0 + L's mask; the 8 bits travel by shuffle below.
        let own_key = j0 + lid;
        let own_visible = own_key < keys && mask[b * t + min(own_key, t - 1u)] != 0u;

        // s[u] = q_i . k_(j0+u), or MASKED where key j0 + u is hidden from query i.
        var s: array<f32, 8>;
        var chunk_max = MASKED;
        for (var u = 0u; u < 8u; u++) {
            let j = j0 + u;
            let key_row = (b * t + min(j, t - 1u)) * row4 + row4 / 3u + h * D4;
            var dot_qk = 0.0;
            for (var r = 0u; r < PER_LANE; r++) {
                let piece = qkv[key_row + r * 8u + lid];  // vec4 r * 8 + lid of key j's row
                for (var src = 0u; src < 8u; src++) {
                    dot_qk += dot(q[r * 8u + src], subgroupShuffle(piece, src));
                }
            }
            let visible = subgroupShuffle(u32(own_visible), u) != 0u && (params.causal == 0u || j <= i);
            s[u] = select(MASKED, dot_qk, visible);
            chunk_max = max(chunk_max, s[u]);
        }

        // Online softmax: rescale what was summed under the old maximum once per 8 keys.
        let new_max = max(running_max, chunk_max);
        let rescale = exp(running_max - new_max);
        running_sum *= rescale;
        for (var v = 0u; v < D4; v++) {
            o[v] *= rescale;
        }
        running_max = new_max;

        // o += p_u v_(j0+u), with v's row shared as k's was.
        for (var u = 0u; u < 8u; u++) {
            let p = select(0.0, exp(s[u] - new_max), s[u] > MASKED);
            running_sum += p;
            let value_row = (b * t + min(j0 + u, t - 1u)) * row4 + 2u * row4 / 3u + h * D4;
            for (var r = 0u; r < PER_LANE; r++) {
                let piece = qkv[value_row + r * 8u + lid];
                for (var src = 0u; src < 8u; src++) {
                    o[r * 8u + src] += p * subgroupShuffle(piece, src);
                }
            }
        }
    }

    if (i < t) {
        let inverse = select(0.0, 1.0 / running_sum, running_sum > 0.0);
        let out_row = (b * t + i) * (params.c / 4u) + h * D4;
        for (var v = 0u; v < D4; v++) {
            out[out_row + v] = o[v] * inverse;
        }
    }
}
