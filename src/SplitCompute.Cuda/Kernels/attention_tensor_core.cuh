// Attention on tensor cores, causal (GPT-2) or bidirectional (encoders, SC_CAUSAL = 0) (fp16 inputs, fp32 accumulation), FlashAttention-2 style, for D = 64 (every GPT-2 size).
// qkv (B, T, 3C) fp16 = q | k | v per token, head h in columns [h D, (h+1) D) of each third; out (B, T, C) fp16.
// grid (ceil(T / Q), H, B), block (32 W, S) threads = W warps (W = 1, 2 or 4; Q = 16 W) in each of S key sets (S = 1 or 2);
// warp w of a set owns queries q0 + 16 w .. + 15 as one m16 tile, and all warps share each K/V tile of 64 keys. With S = 2
// the two sets take alternate key tiles (set s: tiles s, s + 2, ...) and set 0 merges set 1's softmax state at the end:
// the last queries' two tiles run side by side instead of one after the other (the backend uses it for T <= 128, where
// both tiles arrive in one round trip; beyond, a round of two tiles would wait for its copies). The tiles arrive by
// cp.async, MMA_STAGES in flight (T = 128: Q and every K/V tile in one round trip, the latency that dominated this kernel
// at B = 1). Per key tile:
// S (16 x 64) = Q K^T with 32 mma.m16n8k16, masked (causal, padding, beyond T), online softmax per row in fp32 (base 2,
// the scale folded in), then O (16 x 64) += P V with 32 more, P rounded to fp16 as the A operand. K and V stay as stored
// (key rows): ldmatrix gives K's rows as the B operand's columns, and ldmatrix.trans transposes V on the way. Rows are padded
// to 72 halves so the 8 rows of an ldmatrix fall in distinct banks. A query with no valid key gets zeros (as the CPU
// reference). T <= MMA_MAX_T (the key mask of the whole sequence is held in shared memory).
// MMA_D, MMA_Q, MMA_K, MMA_STAGES and MMA_MAX_T come from the host (Gpt2KernelConstants, as -D), which picks this kernel for
// D == MMA_D and T <= MMA_MAX_T, and two key sets for T <= MMA_STAGES * MMA_K.
#if !defined(MMA_D) || !defined(MMA_Q) || !defined(MMA_K) || !defined(MMA_STAGES) || !defined(MMA_MAX_T) || !defined(SC_CAUSAL)
#error "MMA_D, MMA_Q, MMA_K, MMA_STAGES, MMA_MAX_T and SC_CAUSAL are passed by the host (Gpt2KernelConstants)"
#endif
static_assert(MMA_D == 64 && MMA_K == 64, "the fragment loops are written for 64 head dims and 64-key tiles");
static_assert(MMA_Q == 64, "qs holds the largest block the host launches, 4 warps of 16 queries (x 2 key sets: __launch_bounds__(256))");
static_assert(MMA_STAGES >= 2, "a round of two key sets takes two tiles in flight, and set 1's 18 KB state is handed over in the K stages");
#define MMA_LD (MMA_D + 8)  // halves per shared row: 8 rows of an ldmatrix fall in distinct banks

extern "C" __global__ void __launch_bounds__(256) attention_mma(floatX* __restrict__ out, const floatX* __restrict__ qkv,
                                                                const unsigned char* __restrict__ mask, int T, int C, int H)
{
    __shared__ __align__(16) unsigned short qs[MMA_Q * MMA_LD];              // (queries, dims)
    __shared__ __align__(16) unsigned short ks[MMA_STAGES][MMA_K * MMA_LD];  // (keys, dims)
    __shared__ __align__(16) unsigned short vs[MMA_STAGES][MMA_K * MMA_LD];  // (keys, dims)
    __shared__ unsigned char km[MMA_MAX_T];                                   // 1 = key may be attended (valid and < T)
    allowDependentLaunch();  // the projection after it may load its weights now
    waitForPrevious();       // qkv is the previous kernel's output
    const int h = blockIdx.y, b = blockIdx.z;
    const int qTile = 16 * (blockDim.x / 32);
    const int q0 = blockIdx.x * qTile;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int keySets = blockDim.y, set = threadIdx.y;  // warps w of every set share queries; set s takes tiles s mod keySets
    const int tid = threadIdx.x + blockDim.x * threadIdx.y, threads = blockDim.x * blockDim.y;
    const int g = lane / 4, t4 = lane % 4;
    const size_t stride = 3 * (size_t)C;
    const floatX* base = qkv + (size_t)b * T * stride + (size_t)h * MMA_D;  // rows 16-byte aligned: 3C and h D are multiples of 8
    const float scale = 1.4426950408889634f / sqrtf((float)MMA_D);         // log2(e) / sqrt(D): softmax in base 2
    const int lastKey = SC_CAUSAL ? min(q0 + qTile, T) - 1 : T - 1;
    const int tiles = lastKey / MMA_K + 1;                                   // key tiles any query of this block attends

    for (int i = tid; i < qTile * (MMA_D / 8); i += threads)                // Q: rows x 8 chunks of 16 bytes
    {
        const int r = i / (MMA_D / 8), c = i % (MMA_D / 8), t = q0 + r;
        copyAsync16(qs + r * MMA_LD + 8 * c, base + (size_t)(t < T ? t : 0) * stride + 8 * c, t < T);
    }
    copyAsyncCommit();
    auto issueTile = [&](int tile) {
        const int k0 = tile * MMA_K, stage = tile % MMA_STAGES;
        for (int i = tid; i < MMA_K * (MMA_D / 8); i += threads)
        {
            const int j = i / (MMA_D / 8), c = i % (MMA_D / 8), t = k0 + j;
            const floatX* row = base + (size_t)(t < T ? t : 0) * stride + 8 * c;
            copyAsync16(ks[stage] + j * MMA_LD + 8 * c, row + C, t < T);
            copyAsync16(vs[stage] + j * MMA_LD + 8 * c, row + 2 * C, t < T);  // zeros beyond T: 0 * garbage could be NaN
        }
    };
#pragma unroll
    for (int s = 0; s < MMA_STAGES; s++)
    {
        if (s < tiles) issueTile(s);
        copyAsyncCommit();  // an empty group keeps the wait counts below uniform
    }
    const unsigned char* m = mask + (size_t)b * T;
    for (int j = tid; j < tiles * MMA_K; j += threads) km[j] = (j < T && m[j] != 0) ? 1 : 0;
    copyAsyncWait<MMA_STAGES>();  // Q has landed
    __syncthreads();

    const int row0 = warp * 16;  // this warp's first query within the tile
    unsigned qa[4][4];           // A fragments of Q for the 4 k-steps over D
#pragma unroll
    for (int kk = 0; kk < 4; kk++) loadMatrices(qa[kk], qs + (row0 + (lane & 15)) * MMA_LD + kk * 16 + (lane >> 4) * 8);

    float o[8][4];  // O (16 x 64): 8 n-tiles of 8 dims
#pragma unroll
    for (int n = 0; n < 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
    float mx[2] = {NEG_INF, NEG_INF}, l[2] = {0.f, 0.f};  // rows g and g + 8, base-2 scores
    const int qa0 = q0 + row0 + g, qa1 = qa0 + 8;          // absolute query positions of this thread's two rows
    const int warpLast = q0 + row0 + 15;

    for (int round = 0; round * keySets < tiles; round++)  // a round: one tile per key set, keySets <= MMA_STAGES
    {
        if (keySets == 1) copyAsyncWait<MMA_STAGES - 1>();  // this tile has landed (for this thread's copies)
        else copyAsyncWait<0>();                            // every tile of the round has
        __syncthreads();                                    // ... and for everyone's
        const int tile = round * keySets + set;
        const int k0 = tile * MMA_K;
        const unsigned short* kt = ks[tile % MMA_STAGES];
        const unsigned short* vt = vs[tile % MMA_STAGES];
        if (tile < tiles && (!SC_CAUSAL || k0 <= warpLast))  // else no tile for this set, or it is in this warp's future; warp-uniform
        {
            float s[8][4];
#pragma unroll
            for (int n = 0; n < 8; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
            for (int np = 0; np < 4; np++)  // keys 16 np .. + 15: two n-tiles
            {
#pragma unroll
                for (int kk = 0; kk < 4; kk++)
                {
                    unsigned bk[4];  // b0 b1 of n-tile 2 np, b0 b1 of n-tile 2 np + 1
                    loadMatrices(bk, kt + (np * 16 + (lane & 7) + ((lane >> 4) << 3)) * MMA_LD + kk * 16 + ((lane >> 3) & 1) * 8);
                    mma16816(s[2 * np], qa[kk], bk[0], bk[1]);
                    mma16816(s[2 * np + 1], qa[kk], bk[2], bk[3]);
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
                    const bool ok = km[key] && (!SC_CAUSAL || key <= (e < 2 ? qa0 : qa1));
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
                correction[r] = (mx[r] == NEG_INF || newMax == NEG_INF) ? (newMax == NEG_INF ? 1.f : 0.f) : exp2Fast(mx[r] - newMax);
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
                    p[e] = s[n][e] == NEG_INF ? 0.f : exp2Fast(s[n][e] - mx[e >> 1]);
                    rowSum[e >> 1] += p[e];
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
            }
#pragma unroll
            for (int kk = 0; kk < 4; kk++)  // keys 16 kk .. + 15
            {
#pragma unroll
                for (int np = 0; np < 4; np++)  // dims 16 np .. + 15: two n-tiles
                {
                    unsigned bv[4];
                    loadMatricesTransposed(bv, vt + (kk * 16 + (lane & 15)) * MMA_LD + np * 16 + (lane >> 4) * 8);
                    mma16816(o[2 * np], pa[kk], bv[0], bv[1]);
                    mma16816(o[2 * np + 1], pa[kk], bv[2], bv[3]);
                }
            }
        }
        __syncthreads();  // every warp is done with this round's stages before they are refilled
        for (int next = round * keySets + MMA_STAGES; next < (round + 1) * keySets + MMA_STAGES; next++)
            if (next < tiles) issueTile(next);
        copyAsyncCommit();
    }

    if (keySets > 1)  // set 1 hands its state (row maxima, sums, unnormalised O) to set 0 through the K stages, now free
    {
        float* state = reinterpret_cast<float*>(&ks[0][0]) + (warp * 32 + lane) * 36;  // 4 warps x 32 lanes x 36 = 18 KB
        if (set == 1)
        {
            state[0] = mx[0]; state[1] = mx[1]; state[2] = l[0]; state[3] = l[1];
#pragma unroll
            for (int n = 0; n < 8; n++)
#pragma unroll
                for (int e = 0; e < 4; e++) state[4 + 4 * n + e] = o[n][e];
        }
        __syncthreads();
        if (set == 1) return;
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            const float other = state[r], newMax = fmaxf(mx[r], other);
            const float mine = newMax == NEG_INF || mx[r] == NEG_INF ? 0.f : exp2Fast(mx[r] - newMax);
            const float theirs = newMax == NEG_INF || other == NEG_INF ? 0.f : exp2Fast(other - newMax);
            l[r] = l[r] * mine + state[2 + r] * theirs;
#pragma unroll
            for (int n = 0; n < 8; n++)
            {
                o[n][2 * r] = o[n][2 * r] * mine + state[4 + 4 * n + 2 * r] * theirs;
                o[n][2 * r + 1] = o[n][2 * r + 1] * mine + state[4 + 4 * n + 2 * r + 1] * theirs;
            }
            mx[r] = newMax;
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
