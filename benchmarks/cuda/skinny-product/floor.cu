// What a kernel boundary costs on this GPU, independent of any product: us per launch of kernels that do (almost) nothing,
// inside a CUDA graph of 20 launches (as the backend's graphs run a block's seven kernels), by CTA count, dynamic shared
// memory per CTA (0 (32 KB with the load), or the Hopper product's 197632 bytes: one CTA per SM), a 32 KB cp.async load per CTA or none, and
// programmatic dependent launch. Also one graph of 1 and of 7 such launches timed alone (event, graph, event), as the
// backend's one-block figure is timed, for the cost of a graph launch itself.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e)); exit(1); } } while (0)

template <bool PDL, bool LOAD>
__global__ void __launch_bounds__(256) boundary(float* out, const float4* src)
{
    extern __shared__ __align__(16) unsigned char shared[];
    if (PDL) asm volatile("griddepcontrol.launch_dependents;\ngriddepcontrol.wait;" ::: "memory");
    float v = 0.f;
    if (LOAD)  // 32 KB per CTA: 256 threads x 8 chunks of 16 bytes, one round trip
    {
        const float4* from = src + (size_t)blockIdx.x * 2048;
        unsigned to;
        asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(to) : "l"(shared));
        for (int i = 0; i < 8; i++)
            asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(to + (threadIdx.x + 256 * i) * 16), "l"(from + threadIdx.x + 256 * i) : "memory");
        asm volatile("cp.async.commit_group;\ncp.async.wait_group 0;" ::: "memory");
        __syncthreads();
        v = reinterpret_cast<float*>(shared)[threadIdx.x * 4];
    }
    if (threadIdx.x == 0) out[blockIdx.x] = v;
}

typedef void (*Kernel)(float*, const float4*);

static float timeGraph(cudaGraphExec_t ge, cudaStream_t stream, cudaEvent_t e0, cudaEvent_t e1, int reps)
{
    std::vector<float> t;
    for (int rep = -3; rep < reps; rep++)
    {
        CK(cudaEventRecord(e0, stream)); CK(cudaGraphLaunch(ge, stream)); CK(cudaEventRecord(e1, stream));
        CK(cudaEventSynchronize(e1));
        float ms; CK(cudaEventElapsedTime(&ms, e0, e1));
        if (rep >= 0) t.push_back(ms * 1000.f);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

static cudaGraphExec_t capture(Kernel k, bool pdl, int ctas, int smem, int launches, float* out, const float4* src, cudaStream_t stream)
{
    cudaGraph_t g; cudaGraphExec_t ge;
    CK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    for (int c = 0; c < launches; c++)
    {
        cudaLaunchConfig_t cfg = {};
        cfg.gridDim = dim3(ctas); cfg.blockDim = dim3(256); cfg.dynamicSmemBytes = smem; cfg.stream = stream;
        cudaLaunchAttribute attr[1];
        attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization; attr[0].val.programmaticStreamSerializationAllowed = 1;
        cfg.attrs = attr; cfg.numAttrs = pdl ? 1 : 0;
        CK(cudaLaunchKernelEx(&cfg, k, out, src + (size_t)c * 132 * 2048));
    }
    CK(cudaStreamEndCapture(stream, &g));
    CK(cudaGraphInstantiate(&ge, g, 0));
    CK(cudaGraphDestroy(g));
    return ge;
}

int main()
{
    cudaDeviceProp prop; CK(cudaGetDeviceProperties(&prop, 0));
    printf("# device: %s (sm_%d%d, %d SMs); median of 20 graph replays\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
    Kernel kernels[2][2] = { { boundary<false, false>, boundary<false, true> }, { boundary<true, false>, boundary<true, true> } };
    for (auto& row : kernels) for (auto k : row) CK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, 197632));
    cudaStream_t stream; CK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
    float* out; float4* src;
    CK(cudaMalloc(&out, 132 * 4));
    CK(cudaMalloc(&src, (size_t)20 * 132 * 32768));
    CK(cudaMemset(src, 0, (size_t)20 * 132 * 32768));
    printf("%-6s %-5s %6s %8s  %s\n", "ctas", "load", "smem", "pdl", "us per launch (20 in a graph) | graph of 1 | graph of 7 (event to event)");
    for (int load = 0; load < 2; load++)
    for (int ctas : {13, 104, 132})
    for (int smem : {load ? 32768 : 0, 197632})
    for (int pdl = 0; pdl < 2; pdl++)
    {
        Kernel k = kernels[pdl][load];
        cudaGraphExec_t g20 = capture(k, pdl, ctas, smem, 20, out, src, stream);
        cudaGraphExec_t g1 = capture(k, pdl, ctas, smem, 1, out, src, stream);
        cudaGraphExec_t g7 = capture(k, pdl, ctas, smem, 7, out, src, stream);
        const float per = timeGraph(g20, stream, e0, e1, 20) / 20, one = timeGraph(g1, stream, e0, e1, 20), seven = timeGraph(g7, stream, e0, e1, 20);
        printf("%-6d %-5s %6d %8s  %6.2f | %6.2f | %6.2f\n", ctas, load ? "32KB" : "none", smem, pdl ? "yes" : "no", per, one, seven);
        CK(cudaGraphExecDestroy(g20)); CK(cudaGraphExecDestroy(g1)); CK(cudaGraphExecDestroy(g7));
    }
    printf("done\n");
    return 0;
}
