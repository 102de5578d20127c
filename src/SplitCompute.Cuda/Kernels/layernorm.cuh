// LayerNorm over C, one block of 256 threads per row, the row held in registers (C <= 256 * LN_PER = 2048): one read of x,
// block-wide sums through shared memory, mean first and then the centred variance, as torch does.
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

template <typename TOut, bool Half>
__device__ __forceinline__ void layernormRow(TOut* out, const float* in, const float* __restrict__ gamma,
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
