// LayerNorm over C, one block of LN_THREADS threads per row, the row held in registers (C <= LN_THREADS * LN_PER): one read of x,
// block-wide sums through shared memory, mean first and then the centred variance, as torch does. fp32 x, gamma, beta.
// in (R, C) fp32 -> out (R, C) of type TOut. In place is allowed: every thread rewrites only the elements it read.
// LN_THREADS and LN_PER come from the host (Gpt2KernelConstants, as -D), which launches LN_THREADS threads per row.
#if !defined(LN_THREADS) || !defined(LN_PER)
#error "LN_THREADS and LN_PER are passed by the host (Gpt2KernelConstants)"
#endif
static_assert(LN_THREADS % 32 == 0 && LN_THREADS <= 1024, "blockSum reduces whole warps of one block");
static_assert(LN_PER % 4 == 0, "a thread's channels are whole float4 chunks");
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

// W consecutive values of a row: loaded as one float4 when W = 4 (C % 4 == 0, every GPT-2 size), one float otherwise, and
// stored in the output type (fp16 pairs packed).
template <int W> struct Chunk { float e[W]; };

template <int W> __device__ __forceinline__ Chunk<W> loadChunk(const float* p)
{
    Chunk<W> r;
    if constexpr (W == 4)
    {
        const float4 q = *(const float4*)p;
        r.e[0] = q.x; r.e[1] = q.y; r.e[2] = q.z; r.e[3] = q.w;
    }
    else
    {
        r.e[0] = p[0];
    }
    return r;
}

__device__ __forceinline__ void storeChunk(float* y, const Chunk<4>& r) { *(float4*)y = float4{r.e[0], r.e[1], r.e[2], r.e[3]}; }
__device__ __forceinline__ void storeChunk(unsigned short* y, const Chunk<4>& r) { *(uint2*)y = uint2{pack2(r.e[0], r.e[1]), pack2(r.e[2], r.e[3])}; }
__device__ __forceinline__ void storeChunk(float* y, const Chunk<1>& r) { *y = r.e[0]; }
__device__ __forceinline__ void storeChunk(unsigned short* y, const Chunk<1>& r) { *y = fromF(r.e[0]); }

// x, gamma and beta are all loaded up front, so that their latencies overlap (gamma and beta used to be read only after the
// two reductions: one more dependent round trip per row); gamma and beta before waiting for the kernel that writes x.
template <int W, typename TOut>
__device__ __forceinline__ void layernormRowW(TOut* out, const float* in, const float* __restrict__ gamma,
                                               const float* __restrict__ beta, int C, float eps)
{
    __shared__ float scratch[LN_THREADS / 32];
    constexpr int Per = LN_PER / W;  // chunks per thread
    const size_t row = blockIdx.x;
    const int chunks = C / W;
    const float* x = in + row * C;
    Chunk<W> v[Per] = {}, g[Per] = {}, b[Per] = {};
#pragma unroll
    for (int i = 0; i < Per; i++)
    {
        const int c = threadIdx.x + i * LN_THREADS;
        if (c >= chunks) continue;
        g[i] = loadChunk<W>(gamma + W * c);
        b[i] = loadChunk<W>(beta + W * c);
    }
    waitForPrevious();  // gamma and beta are weights; x is the previous kernel's output (no wait without dependent launch)
    float sum = 0.f;
#pragma unroll
    for (int i = 0; i < Per; i++)
    {
        const int c = threadIdx.x + i * LN_THREADS;
        if (c >= chunks) continue;
        v[i] = loadChunk<W>(x + W * c);
#pragma unroll
        for (int k = 0; k < W; k++) sum += v[i].e[k];
    }
    const float mean = blockSum(sum, scratch) / C;
    float sq = 0.f;
#pragma unroll
    for (int i = 0; i < Per; i++)
    {
        if (threadIdx.x + i * LN_THREADS >= chunks) continue;
#pragma unroll
        for (int k = 0; k < W; k++)
        {
            const float d = v[i].e[k] - mean;
            sq += d * d;
        }
    }
    const float inv = 1.0f / sqrtf(blockSum(sq, scratch) / C + eps);
    TOut* y = out + row * C;
#pragma unroll
    for (int i = 0; i < Per; i++)
    {
        const int c = threadIdx.x + i * LN_THREADS;
        if (c >= chunks) continue;
        Chunk<W> r;
#pragma unroll
        for (int k = 0; k < W; k++) r.e[k] = (v[i].e[k] - mean) * inv * g[i].e[k] + b[i].e[k];
        storeChunk(y + W * c, r);
    }
}

template <typename TOut>
__device__ __forceinline__ void layernormRow(TOut* out, const float* in, const float* __restrict__ gamma,
                                              const float* __restrict__ beta, int C, float eps)
{
    if ((C & 3) == 0) layernormRowW<4>(out, in, gamma, beta, C, eps);  // uniform over the grid
    else layernormRowW<1>(out, in, gamma, beta, C, eps);
}

// grid (R), block LN_THREADS: x (R, C) fp32 -> normed (R, C) floatX, the products' input.
extern "C" __global__ void layernorm_x(floatX* out, const float* in, const float* gamma, const float* beta, int C, float eps)
{
    allowDependentLaunch();  // the product after it may load its weights now
    layernormRow<floatX>(out, in, gamma, beta, C, eps);
}

// grid (R), block LN_THREADS: the final norm, fp32 in place.
extern "C" __global__ void layernorm_f(float* out, const float* in, const float* gamma, const float* beta, int C, float eps)
{
    layernormRow<float>(out, in, gamma, beta, C, eps);
}
