// GELU in place: GPT-2's tanh form ("gelu_new") 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), or BERT's exact one
// ("gelu") x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) when params.exact is 1.
// The tanh argument is clamped to +-15 (tanh is 1 in f32 there) so no implementation's exp-based tanh overflows to NaN.
// WGSL has no erf: Abramowitz and Stegun 7.1.26 (|error| <= 1.5e-7), as the CPU encoder.
struct Params {
    n: u32,
    exact: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<f32>;  // (R, 4C)

fn erf(x: f32) -> f32 {
    let a = abs(x);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
    return sign(x) * (1.0 - poly * exp(-a * a));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let stride = groups.x * 256u;
    for (var i = id.x; i < params.n; i += stride) {
        let v = data[i];
        if (params.exact != 0u) {
            data[i] = 0.5 * v * (1.0 + erf(v * 0.7071067811865476));
        } else {
            let inner = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -15.0, 15.0);
            data[i] = 0.5 * v * (1.0 + tanh(inner));
        }
    }
}
