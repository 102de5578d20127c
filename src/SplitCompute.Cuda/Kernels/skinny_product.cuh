// Hopper (sm_90a) product for skinny activations, the B = 1 case cuBLASLt leaves on few SMs:
//   Y (R, N) = epilogue(X (R, K) . W^T + bias),  X fp16 (R, K) row-major, W fp16 (N, K) row-major (K-major, nn.Linear).
// One CTA computes 128 features (rows of W; two warpgroups of 64) x 128 tokens (rows of X) over one slice of K. The SPLIT
// CTAs of a thread-block cluster take SPLIT slices of K and add their partial tiles (fp32, or fp16 with SK_PARTIAL_F16)
// through distributed shared memory: all 132 SMs stream weights, with neither atomics nor a second kernel. Products are
// wgmma.m64n128k16 (D = features x tokens) with both operands K-major in shared memory in the 128-byte swizzle layout (one
// 128-byte line per row of a 64-wide K step), filled by cp.async in an SK_STAGES-deep pipeline.
// Needs tensor_core.cuh (sharedAddress, copyAsync16At) and common.cuh (floatX, pack2, geluTanh).
// Legend: R rows (tokens), N output features, K inner dimension; K % 64 == 0 and N % 8 == 0 (the host checks).
// The backend times these kernels beside cuBLASLt's candidates for each product shape, alone and then in whole blocks,
// and keeps the faster (HopperProducts, BlockProduct, CoordinateTuning); benchmarks/cuda/skinny-product builds them alone
// with nvcc to compare variants, which are the compile-time switches below (benchmarks/results/cuda-skinny-product-h200.txt).

// The sizes the launch depends on come from the host (HopperProductConstants, as -D: grid, block and shared memory are sized
// from the same constants); the defaults serve the nvcc harness, and the asserts keep both to what the code is written for.
#ifndef SK_FEATURES
#define SK_FEATURES 128
#endif
#ifndef SK_TOKENS
#define SK_TOKENS 128
#endif
#ifndef SK_KSTEP
#define SK_KSTEP 64
#endif
#ifndef SK_STAGES
#define SK_STAGES 6  // SK_STAGES - 2 steps of copies in flight
#endif
#ifndef SK_THREADS
#define SK_THREADS 256
#endif
static_assert(SK_FEATURES == 128 && SK_TOKENS == 128 && SK_THREADS == 256,
              "a CTA is two warpgroups of 64 features x 128 tokens (wgmma.m64n128k16)");
static_assert(SK_KSTEP == 64, "a K step is one 128-byte swizzle line of fp16 per row");
#define SK_TILE_BYTES (128 * SK_KSTEP * 2)        // one operand's 128 rows x 64 k fp16 of a stage
#define SK_STAGE_BYTES (2 * SK_TILE_BYTES)        // W tile, then X tile
#define SK_PITCH (SK_FEATURES + 4)                // floats per token row of the partial tile (bank-conflict free)
#define SK_PITCH_H (SK_FEATURES + 8)              // halves per token row of the fp16 partial tile (bank-conflict free)
#ifndef SK_SHARED
#define SK_SHARED (SK_STAGES * SK_STAGE_BYTES + 1024)  // dynamic shared memory per CTA, 1 KB to align the swizzle
                                                   // lines (the partial tile reuses the stages)
#endif
static_assert(SK_SHARED == SK_STAGES * SK_STAGE_BYTES + 1024, "the launch's dynamic shared memory: the stages and 1 KB to align them");

#define SK_BIAS 0       // Y fp16 = acc + bias (fp16)
#define SK_GELU_BIAS 1  // Y fp16 = GELU(acc + bias (fp16)), tanh form
#define SK_RESIDUAL 2   // Y fp32 += acc + bias (fp32)

#ifndef SK_MIN_BLOCKS
#define SK_MIN_BLOCKS 1  // CTAs per SM the registers must allow
#endif
#ifndef SK_PDL
#define SK_PDL 0  // 1: launched with programmatic stream serialization (weights load before the previous grid ends)
#endif
#ifndef SK_PARTIAL_F16
#define SK_PARTIAL_F16 0  // 1: the K slices' partial tiles cross the cluster as fp16 (half the bytes), summed in fp32
#endif
#ifndef SK_MARK
#define SK_MARK(phase)  // the device harness's timeline (benchmarks/cuda/skinny-product) stamps phases here; nothing in the product
#endif
#ifndef SK_PROXY_FENCE
#define SK_PROXY_FENCE 1  // fence.proxy.async between the cp.async writes and wgmma's reads (no measurable cost)
#endif

// Shared-memory matrix descriptor for a K-major tile in the 128-byte swizzle layout: each row's 64 k (128 bytes) in one
// line, its 16-byte chunk c stored at c ^ (row % 8), groups of 8 rows 1024 bytes apart (the stride offset; the leading
// offset is unused when a row fits one swizzle line). Without a swizzle the 8 rows that wgmma reads together share banks.
__device__ __forceinline__ unsigned long long swizzledDescriptor(unsigned address)
{
    return (unsigned long long)((address & 0x3FFFF) >> 4) | (1ull << 16) | ((unsigned long long)(1024 >> 4) << 32) | (1ull << 62);
}

// d (64 features x 128 tokens, this warpgroup's fp32 accumulators) += A (64 x 16) . B (128 x 16)^T, both from shared memory.
// Fragment of d (as mma.m16n8): d[4i + e] is feature 16 (warp % 4) + lane / 4 + 8 (e / 2), token 8i + 2 (lane % 4) + e % 2.
__device__ __forceinline__ void wgmma128(float* d, unsigned long long a, unsigned long long b)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(a), "l"(b), "r"(1));
}

__device__ __forceinline__ void wgmmaFence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmmaCommit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
// Waits until at most N committed wgmma groups of this warpgroup are still running.
template <int N>
__device__ __forceinline__ void wgmmaWait() { asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory"); }
// cp.async writes through the generic proxy, wgmma reads through the async proxy.
__device__ __forceinline__ void fenceAsyncShared() { asm volatile("fence.proxy.async.shared::cta;" ::: "memory"); }
// Keeps the accumulators in their registers across asynchronous wgmma (the compiler must not move them meanwhile).
__device__ __forceinline__ void pinAccumulators(float* d)
{
#pragma unroll
    for (int i = 0; i < 64; i++) asm volatile("" : "+f"(d[i])::"memory");
}

// Release: this thread's earlier memory accesses (the peer loads included) happen before the peers' wait returns.
__device__ __forceinline__ void clusterArrive() { asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory"); }
__device__ __forceinline__ void clusterWait() { asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory"); }
__device__ __forceinline__ void clusterSync()
{
    clusterArrive();
    clusterWait();
}

__device__ __forceinline__ unsigned clusterRank()
{
    unsigned r;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));
    return r;
}

// float4 at this CTA's shared address, read from cluster peer `rank`'s shared memory.
__device__ __forceinline__ float4 loadPeer(unsigned shared, unsigned rank)
{
    unsigned remote;
    asm("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote) : "r"(shared), "r"(rank));
    float4 v;
    // No memory clobber: the loads of all peers issue back to back (clusterSync orders them after the partial tiles).
    asm volatile("ld.shared::cluster.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w) : "r"(remote));
    return v;
}

// Four fp16 at this CTA's shared address (cluster peer `rank`'s when `remote`), as floats.
__device__ __forceinline__ float4 loadPeerHalves(unsigned shared, unsigned rank, bool remote)
{
    unsigned lo, hi;
    if (remote)
    {
        unsigned peer;
        asm("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(peer) : "r"(shared), "r"(rank));
        asm volatile("ld.shared::cluster.v2.u32 {%0, %1}, [%2];" : "=r"(lo), "=r"(hi) : "r"(peer));
    }
    else asm volatile("ld.shared.v2.u32 {%0, %1}, [%2];" : "=r"(lo), "=r"(hi) : "r"(shared));
    return float4{toF((floatX)(lo & 0xFFFF)), toF((floatX)(lo >> 16)), toF((floatX)(hi & 0xFFFF)), toF((floatX)(hi >> 16))};
}

// grid (ceil(N / 128), SPLIT, ceil(R / 128)), cluster (1, SPLIT, 1), SK_THREADS threads, SK_SHARED bytes of shared memory.
template <int SPLIT, int EPILOGUE>
__device__ __forceinline__ void skinnyProduct(void* __restrict__ out, const floatX* __restrict__ x, const floatX* __restrict__ w,
                                              const void* __restrict__ bias, int R, int N, int K)
{
    extern __shared__ __align__(1024) unsigned char skShared[];
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, group = warp >> 2;
    const int featureBase = blockIdx.x * SK_FEATURES, tokenBase = blockIdx.z * SK_TOKENS;
    const int slice = SPLIT > 1 ? (int)clusterRank() : 0;  // == blockIdx.y: the cluster spans y
    const int steps = K / SK_KSTEP;
    const int first = slice * steps / SPLIT, count = (slice + 1) * steps / SPLIT - first;
    const unsigned base = (sharedAddress(skShared) + 1023u) & ~1023u;  // swizzle lines need 1024-byte alignment
    SK_MARK(0);

    // Copy plan: per stage each thread moves 4 chunks of W and 4 of X. Warp unit u = 8i + warp covers rows 4u .. 4u + 3
    // (row 4u + lane / 8, whole 128-byte lines of global memory), chunk lane % 8, stored swizzled: the 8 lanes of a row hit
    // 8 distinct bank groups. Rows past N or R read the last row (finite; never stored).
    const floatX* wFrom[4];
    const floatX* xFrom[4];
    unsigned to[4];
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        const int u = 8 * i + warp, row = 4 * u + (lane >> 3), chunk = lane & 7;
        wFrom[i] = w + (size_t)min(featureBase + row, N - 1) * K + chunk * 8 + (size_t)first * SK_KSTEP;
        xFrom[i] = x + (size_t)min(tokenBase + row, R - 1) * K + chunk * 8 + (size_t)first * SK_KSTEP;
        to[i] = (row >> 3) * 1024 + (row & 7) * 128 + ((chunk ^ (row & 7)) * 16);
    }
    auto loadW = [&](int step) {  // step within this slice
        const unsigned stage = base + (step % SK_STAGES) * SK_STAGE_BYTES;
#pragma unroll
        for (int i = 0; i < 4; i++) copyAsync16At(stage + to[i], wFrom[i] + step * SK_KSTEP);
    };
    auto loadX = [&](int step) {
        const unsigned stage = base + (step % SK_STAGES) * SK_STAGE_BYTES + SK_TILE_BYTES;
#pragma unroll
        for (int i = 0; i < 4; i++) copyAsync16At(stage + to[i], xFrom[i] + step * SK_KSTEP);
    };
    auto load = [&](int step) { loadW(step); loadX(step); };

    // Pipeline: copies run SK_STAGES - 2 steps ahead, so that step's products may still run while the next copies are
    // issued (wgmma of step - 1 is waited for only after step's are issued; the stage refilled is step - 2's).
    constexpr int AHEAD = SK_STAGES - 2;
    float d[64];
#pragma unroll
    for (int i = 0; i < 64; i++) d[i] = 0.f;
#if SK_PDL
    // Weights do not depend on the kernel before: their first stages load while it finishes (programmatic dependent
    // launch); X and Y only after it (griddepcontrol.wait: the previous grid has completed and its writes are visible).
#pragma unroll
    for (int s = 0; s < AHEAD; s++)
        if (s < count) loadW(s);
    asm volatile("griddepcontrol.wait;" ::: "memory");
    SK_MARK(1);
#pragma unroll
    for (int s = 0; s < AHEAD; s++)
    {
        if (s < count) loadX(s);
        copyAsyncCommit();  // group s holds X(s) (group 0 also every W above): groups complete in order
    }
#else
#pragma unroll
    for (int s = 0; s < AHEAD; s++)
    {
        if (s < count) load(s);
        copyAsyncCommit();
    }
#endif
    for (int step = 0; step < count; step++)
    {
        copyAsyncWait<AHEAD - 1>();  // this thread's copies of `step` have landed
#if SK_PROXY_FENCE
        fenceAsyncShared();
#endif
        __syncthreads();             // every thread's copies of `step` visible; every warpgroup done with step - 2's stage
        if (step == 0) SK_MARK(2);
        if (step + AHEAD < count) load(step + AHEAD);
        copyAsyncCommit();
        const unsigned stage = base + (step % SK_STAGES) * SK_STAGE_BYTES;
        wgmmaFence();
#pragma unroll
        for (int k = 0; k < SK_KSTEP / 16; k++)  // 16 k (32 bytes of each line) per product
            wgmma128(d, swizzledDescriptor(stage + group * 8 * 1024 + k * 32), swizzledDescriptor(stage + SK_TILE_BYTES + k * 32));
        wgmmaCommit();
        wgmmaWait<1>();              // step - 1's products are done; step's may still run
        pinAccumulators(d);
    }
    wgmmaWait<0>();
    pinAccumulators(d);
    copyAsyncWait<0>();
    SK_MARK(3);
#if SK_PDL
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");  // the next kernel may start its own weight loads
#endif

    // This CTA will sum the slices for its share of the tokens (rows t0 + 8j), 4 features per thread. Bias and the rows of
    // Y a residual product updates are loaded now, so that their latency hides behind the partial tile and the barrier.
    constexpr int SHARE = (SK_TOKENS + SPLIT - 1) / SPLIT;
    constexpr int ROWS = (SHARE + 7) / 8;
    const int f = lane * 4, gf = featureBase + f, t0 = slice * SHARE + warp;
    bool ok[ROWS];
    float4 bias4 = float4{0.f, 0.f, 0.f, 0.f};
    float4 y[EPILOGUE == SK_RESIDUAL ? ROWS : 1];
    if (gf < N)
    {
        if (EPILOGUE == SK_RESIDUAL) bias4 = *reinterpret_cast<const float4*>(static_cast<const float*>(bias) + gf);
        else
        {
            const floatX* b = static_cast<const floatX*>(bias) + gf;
            bias4 = float4{toF(b[0]), toF(b[1]), toF(b[2]), toF(b[3])};
        }
    }
#pragma unroll
    for (int j = 0; j < ROWS; j++)
    {
        const int t = t0 + 8 * j;
        ok[j] = 8 * j + warp < SHARE && t < SK_TOKENS && tokenBase + t < R && gf < N;
        if (EPILOGUE == SK_RESIDUAL && ok[j]) y[j] = *reinterpret_cast<const float4*>(static_cast<const float*>(out) + (size_t)(tokenBase + t) * N + gf);
    }
    __syncthreads();  // every warpgroup is done with the stages: the partial tile reuses them

    // Partial tile (128 tokens x 128 features fp32, pitch SK_PITCH) in this CTA's shared memory.
    float* partial = reinterpret_cast<float*>(skShared + (base - sharedAddress(skShared)));
    const int feature0 = group * 64 + (warp & 3) * 16 + (lane >> 2);
#pragma unroll
    for (int i = 0; i < 16; i++)
    {
#pragma unroll
        for (int e = 0; e < 4; e++)
        {
            const int row = 8 * i + 2 * (lane & 3) + (e & 1), column = feature0 + 8 * (e >> 1);
            if (SK_PARTIAL_F16) reinterpret_cast<floatX*>(partial)[row * SK_PITCH_H + column] = fromF(d[4 * i + e]);
            else partial[row * SK_PITCH + column] = d[4 * i + e];
        }
    }
    SK_MARK(4);
    if (SPLIT > 1) clusterSync(); else __syncthreads();  // every slice's partial is written
    SK_MARK(5);

    // Every slice's share of every row first, all loads in flight together (one distributed-shared-memory round trip
    // instead of one per row), then the sums.
    float4 q[ROWS][SPLIT];
#pragma unroll
    for (int j = 0; j < ROWS; j++)
    {
        if (!ok[j]) continue;
        const int t = t0 + 8 * j;
        const unsigned at = SK_PARTIAL_F16 ? base + (unsigned)(t * SK_PITCH_H + f) * 2 : base + (unsigned)(t * SK_PITCH + f) * 4;
#pragma unroll
        for (int p = 0; p < SPLIT; p++)
            q[j][p] = SK_PARTIAL_F16 ? loadPeerHalves(at, p, SPLIT > 1)
                    : SPLIT > 1 ? loadPeer(at, p) : *reinterpret_cast<const float4*>(skShared + (at - sharedAddress(skShared)));
    }
    if (SPLIT > 1) clusterArrive();  // done with the peers' partials: their wait below overlaps the stores
#pragma unroll
    for (int j = 0; j < ROWS; j++)
    {
        if (!ok[j]) continue;
        const int t = t0 + 8 * j;
        float4 v = bias4;
#pragma unroll
        for (int p = 0; p < SPLIT; p++) { v.x += q[j][p].x; v.y += q[j][p].y; v.z += q[j][p].z; v.w += q[j][p].w; }
        const size_t o = (size_t)(tokenBase + t) * N + gf;
        if (EPILOGUE == SK_RESIDUAL)
        {
            const float4 r = y[EPILOGUE == SK_RESIDUAL ? j : 0];
            *reinterpret_cast<float4*>(static_cast<float*>(out) + o) = float4{r.x + v.x, r.y + v.y, r.z + v.z, r.w + v.w};
        }
        else
        {
            if (EPILOGUE == SK_GELU_BIAS) { v.x = geluTanh(v.x); v.y = geluTanh(v.y); v.z = geluTanh(v.z); v.w = geluTanh(v.w); }
            uint2 packed;
            packed.x = pack2(v.x, v.y);
            packed.y = pack2(v.z, v.w);
            *reinterpret_cast<uint2*>(static_cast<floatX*>(out) + o) = packed;
        }
    }
    SK_MARK(6);
    if (SPLIT > 1) clusterWait();  // peers may still be reading this CTA's partial until they arrive
    SK_MARK(7);
}

#define SK_KERNEL(split)                                                                                                      \
    extern "C" __global__ void __cluster_dims__(1, split, 1) __launch_bounds__(SK_THREADS, SK_MIN_BLOCKS)                                 \
    skinny_bias_##split(void* out, const floatX* x, const floatX* w, const void* bias, int R, int N, int K)                   \
    { skinnyProduct<split, SK_BIAS>(out, x, w, bias, R, N, K); }                                                             \
    extern "C" __global__ void __cluster_dims__(1, split, 1) __launch_bounds__(SK_THREADS, SK_MIN_BLOCKS)                                 \
    skinny_gelu_##split(void* out, const floatX* x, const floatX* w, const void* bias, int R, int N, int K)                   \
    { skinnyProduct<split, SK_GELU_BIAS>(out, x, w, bias, R, N, K); }                                                        \
    extern "C" __global__ void __cluster_dims__(1, split, 1) __launch_bounds__(SK_THREADS, SK_MIN_BLOCKS)                                 \
    skinny_residual_##split(void* out, const floatX* x, const floatX* w, const void* bias, int R, int N, int K)               \
    { skinnyProduct<split, SK_RESIDUAL>(out, x, w, bias, R, N, K); }

// One slice: no cluster (a cluster launch costs scheduling the CTA needs nothing from).
#define SK_KERNEL_ALONE(split)                                                                                           \
    extern "C" __global__ void __launch_bounds__(SK_THREADS, SK_MIN_BLOCKS)                                              \
    skinny_bias_##split(void* out, const floatX* x, const floatX* w, const void* bias, int R, int N, int K)              \
    { skinnyProduct<split, SK_BIAS>(out, x, w, bias, R, N, K); }                                                         \
    extern "C" __global__ void __launch_bounds__(SK_THREADS, SK_MIN_BLOCKS)                                              \
    skinny_gelu_##split(void* out, const floatX* x, const floatX* w, const void* bias, int R, int N, int K)              \
    { skinnyProduct<split, SK_GELU_BIAS>(out, x, w, bias, R, N, K); }                                                    \
    extern "C" __global__ void __launch_bounds__(SK_THREADS, SK_MIN_BLOCKS)                                              \
    skinny_residual_##split(void* out, const floatX* x, const floatX* w, const void* bias, int R, int N, int K)          \
    { skinnyProduct<split, SK_RESIDUAL>(out, x, w, bias, R, N, K); }

SK_KERNEL_ALONE(1)
SK_KERNEL(2)
SK_KERNEL(3)
SK_KERNEL(4)
SK_KERNEL(5)
SK_KERNEL(6)
SK_KERNEL(8)
