// GPT-2 kernels around the cuBLASLt products: embeddings, LayerNorm, causal attention with a padding mask, GELU (only when
// the GELU epilogue is off), and a seeded fill for benchmark weights; with SC_CAUSAL=0 the same source is the BERT-family
// encoders' build (bidirectional attention, and encoder.cuh's embeddings and erf GELU).
// Compiled at start-up by NVRTC for the device's own architecture, once with SC_F16=1 (activations fed to the products in
// fp16) and once without (all fp32, for 1e-4 parity). KernelSource inlines the #include lines below (embedded files), so
// NVRTC gets one source and needs no include folder.
// Legend: B batch, T tokens (the padded bucket), C channels, H heads, D = C / H head size, R = B * T rows.

#include "common.cuh"
#include "layernorm.cuh"
#include "attention_cuda_core.cuh"
#include "encoder.cuh"
#if SC_F16
#include "tensor_core.cuh"
#include "attention_tensor_core.cuh"
#endif

// x[b, t, :] = wte[ids[b, t], :] + wpe[t, :]      grid (R), block 256.   ids (B, T) -> x (B, T, C) fp32
extern "C" __global__ void embed(float* __restrict__ x, const int* __restrict__ ids, const float* __restrict__ wte,
                                 const float* __restrict__ wpe, int T, int C)
{
    const int row = blockIdx.x;
    const int t = row % T;
    const float* tok = wte + (size_t)ids[row] * C;
    const float* pos = wpe + (size_t)t * C;
    float* out = x + (size_t)row * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) out[c] = tok[c] + pos[c];
}

// GELU, tanh form (HF "gelu_new"), in place on n floatX values; used only when the cuBLASLt GELU epilogue is turned off.
extern "C" __global__ void gelu(floatX* x, long long n)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    x[i] = fromF(geluTanh(toF(x[i])));
}

// Seeded uniform fill in [offset - scale, offset + scale): weights for benchmarks, made on the GPU instead of on the host.
__device__ __forceinline__ float hashUniform(unsigned long long i, unsigned int seed)
{
    unsigned long long z = i * 0x9E3779B97F4A7C15ull + seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(z >> 40) * (1.0f / 16777216.0f) * 2.f - 1.f;
}

extern "C" __global__ void fill_x(floatX* dst, long long n, unsigned int seed, float scale, float offset)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) dst[i] = fromF(offset + scale * hashUniform(i, seed));
}

extern "C" __global__ void fill_f(float* dst, long long n, unsigned int seed, float scale, float offset)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) dst[i] = offset + scale * hashUniform(i, seed);
}
