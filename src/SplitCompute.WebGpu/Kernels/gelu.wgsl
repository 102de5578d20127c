// GPT-2's tanh GELU ("gelu_new") in place: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// The tanh argument is clamped to +-15 (tanh is 1 in f32 there) so no implementation's exp-based tanh overflows to NaN.
struct Params {
    n: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<f32>;  // (R, 4C)

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let stride = groups.x * 256u;
    for (var i = id.x; i < params.n; i += stride) {
        let v = data[i];
        let inner = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -15.0, 15.0);
        data[i] = 0.5 * v * (1.0 + tanh(inner));
    }
}
