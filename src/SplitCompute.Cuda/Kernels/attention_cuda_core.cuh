// Self-attention with a padding mask, causal (GPT-2) or bidirectional (encoders, SC_CAUSAL = 0), flash style (online softmax over key tiles held in shared memory).
// qkv (B, T, 3C) floatX = q | k | v per token, head h in columns [h D, (h+1) D) of each third; out (B, T, C) floatX.
// grid (ceil(T / ATT_Q), H, B), block 32 ATT_Q = ATT_Q warps, one query per warp: many warps per SM hide the shared-memory latency
// (with few long-lived warps the kernel was latency-bound). In a key tile lane j scores key k0 + j with float4 reads; then
// the warp accumulates p_j v_j over d = lane + 32 r. Query i attends key j when mask[b, j] = 1 and, if causal, j <= i; a query with no
// such key gets zeros (as the CPU reference). D % 4 == 0 and D <= 32 ATT_MAX_R.
// Dynamic shared memory: q (ATT_Q, D) + k (ATT_K, D + 4) (padded so 8 lanes' float4 reads hit distinct banks) + v (ATT_K, D) floats.
// ATT_Q, ATT_K and ATT_MAX_R come from the host (Gpt2KernelConstants, as -D), which sizes the block (32 ATT_Q threads) and the
// dynamic shared memory from them.
#if !defined(ATT_Q) || !defined(ATT_K) || !defined(ATT_MAX_R) || !defined(SC_CAUSAL)
#error "ATT_Q, ATT_K, ATT_MAX_R and SC_CAUSAL are passed by the host (Gpt2KernelConstants)"
#endif
static_assert(ATT_K == 32, "lane j scores key k0 + j: a key tile is one warp wide");
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

    const int lastKey = SC_CAUSAL ? min(q0 + ATT_Q, T) - 1 : T - 1;  // the last key any query of this block attends
    for (int k0 = 0; k0 <= lastKey; k0 += ATT_K)
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
        if (tq >= T || (SC_CAUSAL && k0 > tq)) continue;  // warp-uniform; the block still reaches every __syncthreads

        const int key = k0 + lane;
        float score = NEG_INF;
        if ((!SC_CAUSAL || key <= tq) && key < T && m[key] != 0)
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
