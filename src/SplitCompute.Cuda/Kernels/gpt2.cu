// GPT-2 kernels around the cuBLASLt products: embeddings, LayerNorm, causal attention with a padding mask, GELU (only when
// the GELU epilogue is off), and a seeded fill for benchmark weights. Compiled at start-up by NVRTC for the device's own
// architecture, once with SC_F16=1 (activations fed to the products in fp16) and once without (all fp32, for 1e-4 parity).
// No headers: NVRTC then needs no CUDA include folder, and fp16 conversion is two PTX instructions.
// Legend: B batch, T tokens (the padded bucket), C channels, H heads, D = C / H head size, R = B * T rows.
// The residual stream x is always fp32; "floatX" is the type of the products' activations (normed input, qkv, attention, fc).

#if SC_F16
typedef unsigned short floatX;
__device__ __forceinline__ float toF(floatX h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
__device__ __forceinline__ floatX fromF(float f) { unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
#else
typedef float floatX;
__device__ __forceinline__ float toF(float f) { return f; }
__device__ __forceinline__ float fromF(float f) { return f; }
#endif

#define FULL_MASK 0xffffffffu
#define NEG_INF (-__int_as_float(0x7f800000))

__device__ __forceinline__ float warpSum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warpMax(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

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

// Causal self-attention with a padding mask, flash style (online softmax over key tiles held in shared memory).
// qkv (B, T, 3C) floatX = q | k | v per token, head h in columns [h D, (h+1) D) of each third; out (B, T, C) floatX.
// grid (ceil(T / 16), H, B), block 512 = 16 warps, one query per warp: many warps per SM hide the shared-memory latency
// (with few long-lived warps the kernel was latency-bound). In a key tile lane j scores key k0 + j with float4 reads; then
// the warp accumulates p_j v_j over d = lane + 32 r. Query i attends key j when j <= i and mask[b, j] = 1; a query with no
// such key gets zeros (as the CPU reference). D % 4 == 0 and D <= 128.
// Dynamic shared memory: q (16, D) + k (32, D + 4) (padded so 8 lanes' float4 reads hit distinct banks) + v (32, D) floats.
#define ATT_Q 16
#define ATT_K 32
#define ATT_MAX_R 4
extern "C" __global__ void attention(floatX* __restrict__ out, const floatX* __restrict__ qkv, const unsigned char* __restrict__ mask,
                                     int T, int C, int H)
{
    extern __shared__ float4 smem4[];
    float* smem = (float*)smem4;
    const int D = C / H;
    const int DP = D + 4;
    float* qs = smem;
    float* ks = qs + ATT_Q * D;
    float* vs = ks + ATT_K * DP;
    const int h = blockIdx.y, b = blockIdx.z;
    const int q0 = blockIdx.x * ATT_Q;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const size_t stride = 3 * (size_t)C;
    const floatX* base = qkv + (size_t)b * T * stride + (size_t)h * D;
    const unsigned char* m = mask + (size_t)b * T;
    const float scale = 1.0f / sqrtf((float)D);

    // Loads with d fixed per thread (D divides the block size): no integer division per element.
    const int dl = threadIdx.x % D, rowStep = blockDim.x / D;
    for (int i = threadIdx.x / D; i < ATT_Q; i += rowStep)
    {
        const int t = q0 + i;
        qs[i * D + dl] = t < T ? toF(base[(size_t)t * stride + dl]) : 0.f;
    }

    const int tq = q0 + warp;
    float mx = NEG_INF, l = 0.f, acc[ATT_MAX_R];
#pragma unroll
    for (int r = 0; r < ATT_MAX_R; r++) acc[r] = 0.f;

    const int lastQuery = min(q0 + ATT_Q, T) - 1;
    for (int k0 = 0; k0 <= lastQuery; k0 += ATT_K)
    {
        __syncthreads();  // q is loaded (first tile) / every warp is done with the previous tile
        for (int j = threadIdx.x / D; j < ATT_K; j += rowStep)
        {
            const int t = k0 + j;
            float kv = 0.f, vv = 0.f;
            if (t < T)
            {
                kv = toF(base[(size_t)t * stride + C + dl]);
                vv = toF(base[(size_t)t * stride + 2 * C + dl]);
            }
            ks[j * DP + dl] = kv;
            vs[j * D + dl] = vv;
        }
        __syncthreads();
        if (tq >= T || k0 > tq) continue;  // warp-uniform; the block still reaches every __syncthreads

        const int key = k0 + lane;
        float score = NEG_INF;
        if (key <= tq && key < T && m[key] != 0)
        {
            const float4* q4 = (const float4*)(qs + warp * D);
            const float4* k4 = (const float4*)(ks + lane * DP);
            float dot = 0.f;
#pragma unroll 4
            for (int d4 = 0; d4 < D / 4; d4++)
            {
                const float4 a = q4[d4], k = k4[d4];
                dot += a.x * k.x;
                dot += a.y * k.y;
                dot += a.z * k.z;
                dot += a.w * k.w;
            }
            score = dot * scale;
        }
        const float newMax = fmaxf(mx, warpMax(score));
        if (newMax == NEG_INF) continue;  // no valid key so far; warp-uniform
        const float p = score == NEG_INF ? 0.f : expf(score - newMax);
        const float correction = mx == NEG_INF ? 0.f : expf(mx - newMax);
        l = l * correction + warpSum(p);
#pragma unroll
        for (int r = 0; r < ATT_MAX_R; r++) acc[r] *= correction;
#pragma unroll 8
        for (int j = 0; j < ATT_K; j++)
        {
            const float pj = __shfl_sync(FULL_MASK, p, j);
            if (pj == 0.f) continue;  // masked or future key: warp-uniform, and its v is never read
#pragma unroll
            for (int r = 0; r < ATT_MAX_R; r++)
            {
                const int d = lane + 32 * r;
                if (d < D) acc[r] += pj * vs[j * D + d];
            }
        }
        mx = newMax;
    }

    if (tq < T)
    {
        floatX* o = out + ((size_t)b * T + tq) * C + (size_t)h * D;
        const float inv = l > 0.f ? 1.0f / l : 0.f;
#pragma unroll
        for (int r = 0; r < ATT_MAX_R; r++)
        {
            const int d = lane + 32 * r;
            if (d < D) o[d] = fromF(acc[r] * inv);
        }
    }
}

#if SC_F16
// Causal attention on tensor cores (fp16 inputs, fp32 accumulation), FlashAttention-2 style, for D = 64 (every GPT-2 size).
// grid (ceil(T / Q), H, B), block 32 W threads = W warps (W = 4 by default, or 1; Q = 16 W); warp w owns queries
// q0 + 16 w .. + 15 as one m16 tile, and the block's warps share each K/V tile. Per key tile of 64:
// S (16 x 64) = Q K^T with 32 mma.m16n8k16, masked (causal, padding, beyond T), online softmax per row in fp32, then
// O (16 x 64) += P V with 32 more, P rounded to fp16 as the A operand. K is kept row-major (its rows are the B operand's
// columns) and V transposed (keys contiguous per dimension), both padded to 72 halves per row so the fragment reads of the
// 8 row groups x 4 lanes fall in distinct banks. Fragment layouts: PTX ISA, mma.m16n8k16 (g = lane / 4, t = lane % 4):
// A a0 (g, 2t..2t+1) a1 (g+8, 2t..) a2 (g, 2t+8..) a3 (g+8, 2t+8..); B b0 (k 2t..2t+1, n g) b1 (k 2t+8.., n g);
// C c0 c1 (g, 2t..2t+1) c2 c3 (g+8, 2t..2t+1).
#define MMA_D 64
#define MMA_Q 64
#define MMA_K 64
#define MMA_LD 72
#define MMA_LOADS 4  // 16-byte global loads per thread issued together (4 warps: a whole Q or K/V tile in one round)

__device__ __forceinline__ unsigned pack2(float lo, float hi)
{
    unsigned r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

__device__ __forceinline__ void mma16816(float* c, const unsigned* a, unsigned b0, unsigned b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

extern "C" __global__ void __launch_bounds__(128) attention_mma(floatX* __restrict__ out, const floatX* __restrict__ qkv,
                                                                const unsigned char* __restrict__ mask, int T, int C, int H)
{
    __shared__ __align__(16) unsigned short qs[MMA_Q * MMA_LD];   // (64 queries, 64 dims)
    __shared__ __align__(16) unsigned short ks[MMA_K * MMA_LD];   // (64 keys, 64 dims)
    __shared__ __align__(16) unsigned short vt[MMA_D * MMA_LD];   // (64 dims, 64 keys)
    __shared__ unsigned char km[MMA_K];                           // 1 = key may be attended (valid and < T)
    const int h = blockIdx.y, b = blockIdx.z;
    const int qTile = 16 * (blockDim.x / 32);
    const int q0 = blockIdx.x * qTile;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int g = lane / 4, t4 = lane % 4;
    const size_t stride = 3 * (size_t)C;
    const floatX* base = qkv + (size_t)b * T * stride + (size_t)h * MMA_D;
    const unsigned char* m = mask + (size_t)b * T;
    const float scale = 1.0f / sqrtf((float)MMA_D);

    // Q tile, 16 bytes (8 halves) per load: 64 rows x 8 chunks. Rows are 16-byte aligned: 3C and h D are multiples of 8.
    // MMA_LOADS chunks per thread are loaded into registers before any is stored, so their latencies overlap (a load then
    // a store per chunk serialised one global round trip per chunk, most of this kernel's time at B = 1).
    for (int i0 = threadIdx.x; i0 < qTile * (MMA_D / 8); i0 += MMA_LOADS * blockDim.x)
    {
        uint4 v[MMA_LOADS];
#pragma unroll
        for (int u = 0; u < MMA_LOADS; u++)
        {
            const int i = i0 + u * blockDim.x, r = i / (MMA_D / 8), w = i % (MMA_D / 8), t = q0 + r;
            v[u].x = v[u].y = v[u].z = v[u].w = 0u;
            if (i < qTile * (MMA_D / 8) && t < T) v[u] = *(const uint4*)(base + (size_t)t * stride + 8 * w);
        }
#pragma unroll
        for (int u = 0; u < MMA_LOADS; u++)
        {
            const int i = i0 + u * blockDim.x, r = i / (MMA_D / 8), w = i % (MMA_D / 8);
            if (i < qTile * (MMA_D / 8)) *(uint4*)(qs + r * MMA_LD + 8 * w) = v[u];
        }
    }
    __syncthreads();
    const int row0 = warp * 16;  // this warp's first query within the tile
    unsigned qa[4][4];           // A fragments of Q for the 4 k-steps over D
#pragma unroll
    for (int kk = 0; kk < 4; kk++)
    {
        const int c = kk * 16 + 2 * t4;
        qa[kk][0] = *(const unsigned*)(qs + (row0 + g) * MMA_LD + c);
        qa[kk][1] = *(const unsigned*)(qs + (row0 + g + 8) * MMA_LD + c);
        qa[kk][2] = *(const unsigned*)(qs + (row0 + g) * MMA_LD + c + 8);
        qa[kk][3] = *(const unsigned*)(qs + (row0 + g + 8) * MMA_LD + c + 8);
    }

    float o[8][4];  // O (16 x 64): 8 n-tiles of 8 dims
#pragma unroll
    for (int n = 0; n < 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
    float mx[2] = {NEG_INF, NEG_INF}, l[2] = {0.f, 0.f};  // rows g and g + 8
    const int qa0 = q0 + row0 + g, qa1 = qa0 + 8;          // absolute query positions of this thread's two rows
    const int warpLast = q0 + row0 + 15;
    const int lastQuery = min(q0 + qTile, T) - 1;

    for (int k0 = 0; k0 <= lastQuery; k0 += MMA_K)
    {
        __syncthreads();  // previous tile consumed
        for (int i0 = threadIdx.x; i0 < MMA_K * (MMA_D / 8); i0 += MMA_LOADS * blockDim.x)
        {
            uint4 kv[MMA_LOADS], vv[MMA_LOADS];  // all loads in flight before the first store, as for Q
#pragma unroll
            for (int u = 0; u < MMA_LOADS; u++)
            {
                const int i = i0 + u * blockDim.x, j = i / (MMA_D / 8), w = i % (MMA_D / 8), t = k0 + j;
                kv[u].x = kv[u].y = kv[u].z = kv[u].w = 0u;
                vv[u] = kv[u];
                if (i < MMA_K * (MMA_D / 8) && t < T)
                {
                    kv[u] = *(const uint4*)(base + (size_t)t * stride + C + 8 * w);
                    vv[u] = *(const uint4*)(base + (size_t)t * stride + 2 * C + 8 * w);
                }
            }
#pragma unroll
            for (int u = 0; u < MMA_LOADS; u++)
            {
                const int i = i0 + u * blockDim.x, j = i / (MMA_D / 8), w = i % (MMA_D / 8);
                if (i >= MMA_K * (MMA_D / 8)) continue;
                *(uint4*)(ks + j * MMA_LD + 8 * w) = kv[u];
                const unsigned words[4] = {vv[u].x, vv[u].y, vv[u].z, vv[u].w};
#pragma unroll
                for (int e = 0; e < 4; e++)
                {
                    vt[(8 * w + 2 * e) * MMA_LD + j] = (unsigned short)(words[e] & 0xffffu);
                    vt[(8 * w + 2 * e + 1) * MMA_LD + j] = (unsigned short)(words[e] >> 16);
                }
            }
        }
        for (int j = threadIdx.x; j < MMA_K; j += blockDim.x) km[j] = (k0 + j < T && m[k0 + j] != 0) ? 1 : 0;
        __syncthreads();
        if (k0 > warpLast) continue;  // the whole tile is in this warp's future; warp-uniform

        float s[8][4];
#pragma unroll
        for (int n = 0; n < 8; n++)
        {
            s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
            for (int kk = 0; kk < 4; kk++)
            {
                const unsigned short* kr = ks + (n * 8 + g) * MMA_LD + kk * 16 + 2 * t4;
                mma16816(s[n], qa[kk], *(const unsigned*)kr, *(const unsigned*)(kr + 8));
            }
        }
        // Mask and scale; row maxima over the 4 lanes that share a row.
        float tileMax[2] = {NEG_INF, NEG_INF};
#pragma unroll
        for (int n = 0; n < 8; n++)
        {
#pragma unroll
            for (int e = 0; e < 4; e++)
            {
                const int kl = n * 8 + 2 * t4 + (e & 1);
                const int key = k0 + kl;
                const int query = e < 2 ? qa0 : qa1;
                const bool ok = km[kl] && key <= query;
                s[n][e] = ok ? s[n][e] * scale : NEG_INF;
                tileMax[e >> 1] = fmaxf(tileMax[e >> 1], s[n][e]);
            }
        }
        float correction[2], rowSum[2] = {0.f, 0.f};
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(FULL_MASK, tileMax[r], 1));
            tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(FULL_MASK, tileMax[r], 2));
            const float newMax = fmaxf(mx[r], tileMax[r]);
            correction[r] = (mx[r] == NEG_INF || newMax == NEG_INF) ? (newMax == NEG_INF ? 1.f : 0.f) : expf(mx[r] - newMax);
            mx[r] = newMax;
        }
        unsigned pa[4][4];  // P as A fragments for the 4 k-steps over this tile's 64 keys
#pragma unroll
        for (int n = 0; n < 8; n++)
        {
            float p[4];
#pragma unroll
            for (int e = 0; e < 4; e++)
            {
                const int r = e >> 1;
                p[e] = s[n][e] == NEG_INF ? 0.f : expf(s[n][e] - mx[r]);
                rowSum[r] += p[e];
            }
            // S n-tile n covers keys 8n..8n+7: k-step n / 2, low (a0, a1) or high (a2, a3) half.
            const int kk = n / 2, hi = (n % 2) * 2;
            pa[kk][hi + 0] = pack2(p[0], p[1]);
            pa[kk][hi + 1] = pack2(p[2], p[3]);
        }
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            rowSum[r] += __shfl_xor_sync(FULL_MASK, rowSum[r], 1);
            rowSum[r] += __shfl_xor_sync(FULL_MASK, rowSum[r], 2);
            l[r] = l[r] * correction[r] + rowSum[r];
        }
#pragma unroll
        for (int n = 0; n < 8; n++)
        {
            o[n][0] *= correction[0];
            o[n][1] *= correction[0];
            o[n][2] *= correction[1];
            o[n][3] *= correction[1];
#pragma unroll
            for (int kk = 0; kk < 4; kk++)
            {
                const unsigned short* vr = vt + (n * 8 + g) * MMA_LD + kk * 16 + 2 * t4;
                mma16816(o[n], pa[kk], *(const unsigned*)vr, *(const unsigned*)(vr + 8));
            }
        }
    }

    const float inv0 = l[0] > 0.f ? 1.0f / l[0] : 0.f, inv1 = l[1] > 0.f ? 1.0f / l[1] : 0.f;
#pragma unroll
    for (int n = 0; n < 8; n++)
    {
        const int d = n * 8 + 2 * t4;
        if (qa0 < T) *(unsigned*)(out + ((size_t)b * T + qa0) * C + (size_t)h * MMA_D + d) = pack2(o[n][0] * inv0, o[n][1] * inv0);
        if (qa1 < T) *(unsigned*)(out + ((size_t)b * T + qa1) * C + (size_t)h * MMA_D + d) = pack2(o[n][2] * inv1, o[n][3] * inv1);
    }
}
#endif

// GELU, tanh form (HF "gelu_new"), in place on n floatX values; used only when the cuBLASLt GELU epilogue is turned off.
extern "C" __global__ void gelu(floatX* x, long long n)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float v = toF(x[i]);
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    x[i] = fromF(0.5f * v * (1.f + tanhf(k * (v + 0.044715f * v * v * v))));
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
