// LayerNorm over C, one block of 256 threads per row, the row held in registers (C <= 256 * LN_PER = 2048): one read of x,
// block-wide sums through shared memory, mean first and then the centred variance, as torch does. fp32 x, gamma, beta.
// in (R, C) fp32 -> out (R, C) of type TOut. In place is allowed: every thread rewrites only the elements it read.
#define LN_THREADS 256
#define LN_PER 8
__device__ __forceinline__ float blockSum(float v, float* scratch)
{
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    v = warpSum(v);
    __syncthreads();  // scratch is free (a previous reduction has been read)
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float total = 0.f;
    for (int w = 0; w < LN_THREADS / 32; w++) total += scratch[w];
    return total;
}

// Stores 4 consecutive outputs (16-byte aligned for fp32, 8-byte for fp16).
__device__ __forceinline__ void store4(float* y, float a, float b, float c, float d) { *(float4*)y = float4{a, b, c, d}; }
__device__ __forceinline__ void store4(unsigned short* y, float a, float b, float c, float d) { *(uint2*)y = uint2{pack2(a, b), pack2(c, d)}; }

// C % 4 == 0 (every GPT-2 size): x, gamma and beta as float4, all three loaded up front so that their latencies overlap
// (gamma and beta used to be read only after the two reductions: one more dependent round trip per row).
template <typename TOut>
__device__ __forceinline__ void layernormRow4(TOut* out, const float* in, const float* __restrict__ gamma,
                                               const float* __restrict__ beta, int C, float eps)
{
    __shared__ float scratch[LN_THREADS / 32];
    constexpr int Per = LN_PER / 4;  // float4s per thread
    const size_t row = blockIdx.x;
    const int C4 = C / 4;
    const float4* x = (const float4*)(in + row * C);
    float4 v[Per], g[Per], b[Per];
    float sum = 0.f;
#pragma unroll
    for (int i = 0; i < Per; i++)
    {
        const int c = threadIdx.x + i * LN_THREADS;
        const bool ok = c < C4;
        v[i] = ok ? x[c] : float4{0.f, 0.f, 0.f, 0.f};
        g[i] = ok ? ((const float4*)gamma)[c] : float4{0.f, 0.f, 0.f, 0.f};
        b[i] = ok ? ((const float4*)beta)[c] : float4{0.f, 0.f, 0.f, 0.f};
        sum += (v[i].x + v[i].y) + (v[i].z + v[i].w);
    }
    const float mean = blockSum(sum, scratch) / C;
    float sq = 0.f;
#pragma unroll
    for (int i = 0; i < Per; i++)
    {
        if (threadIdx.x + i * LN_THREADS >= C4) continue;
        const float dx = v[i].x - mean, dy = v[i].y - mean, dz = v[i].z - mean, dw = v[i].w - mean;
        sq += (dx * dx + dy * dy) + (dz * dz + dw * dw);
    }
    const float inv = 1.0f / sqrtf(blockSum(sq, scratch) / C + eps);
    TOut* y = out + row * C;
#pragma unroll
    for (int i = 0; i < Per; i++)
    {
        const int c = threadIdx.x + i * LN_THREADS;
        if (c >= C4) continue;
        store4(y + 4 * c, (v[i].x - mean) * inv * g[i].x + b[i].x, (v[i].y - mean) * inv * g[i].y + b[i].y,
               (v[i].z - mean) * inv * g[i].z + b[i].z, (v[i].w - mean) * inv * g[i].w + b[i].w);
    }
}

// Any C <= 2048: one float per load.
template <typename TOut, bool Half>
__device__ __forceinline__ void layernormRow1(TOut* out, const float* in, const float* __restrict__ gamma,
                                               const float* __restrict__ beta, int C, float eps)
{
    __shared__ float scratch[LN_THREADS / 32];
    const size_t row = blockIdx.x;
    const float* x = in + row * C;
    float v[LN_PER];
    float sum = 0.f;
#pragma unroll
    for (int i = 0; i < LN_PER; i++)
    {
        const int c = threadIdx.x + i * LN_THREADS;
        v[i] = c < C ? x[c] : 0.f;
        sum += v[i];
    }
    const float mean = blockSum(sum, scratch) / C;
    float sq = 0.f;
#pragma unroll
    for (int i = 0; i < LN_PER; i++)
    {
        const int c = threadIdx.x + i * LN_THREADS;
        const float d = c < C ? v[i] - mean : 0.f;
        sq += d * d;
    }
    const float inv = 1.0f / sqrtf(blockSum(sq, scratch) / C + eps);
    TOut* y = out + row * C;
#pragma unroll
    for (int i = 0; i < LN_PER; i++)
    {
        const int c = threadIdx.x + i * LN_THREADS;
        if (c >= C) continue;
        const float r = (v[i] - mean) * inv * gamma[c] + beta[c];
        if (Half) y[c] = (TOut)fromF(r); else y[c] = (TOut)r;
    }
}

template <typename TOut, bool Half>
__device__ __forceinline__ void layernormRow(TOut* out, const float* in, const float* __restrict__ gamma,
                                              const float* __restrict__ beta, int C, float eps)
{
    if ((C & 3) == 0) layernormRow4<TOut>(out, in, gamma, beta, C, eps);  // uniform over the grid
    else layernormRow1<TOut, Half>(out, in, gamma, beta, C, eps);
}

// grid (R), block 256: x (R, C) fp32 -> normed (R, C) floatX, the products' input.
extern "C" __global__ void layernorm_x(floatX* out, const float* in, const float* gamma, const float* beta, int C, float eps)
{
    layernormRow<floatX, true>(out, in, gamma, beta, C, eps);
}

// grid (R), block 256: the final norm, fp32 in place.
extern "C" __global__ void layernorm_f(float* out, const float* in, const float* gamma, const float* beta, int C, float eps)
{
    layernormRow<float, false>(out, in, gamma, beta, C, eps);
}
