// Harness for skinny_product.cuh on the GPU machine, built there with nvcc so that compile-time variants can be compared
// without the .NET backend: correctness of every K split against a naive reference, and time per launch inside a CUDA
// graph of 20 launches over 20 copies of the weights.
#define SC_F16 1
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <algorithm>
#include <cmath>
#include <cuda_runtime.h>
#ifndef SK_TRACE
#define SK_TRACE 0  // 1: the kernel stamps %globaltimer at its phases (SK_MARK) and each product prints where a launch's time goes
#endif
#if SK_TRACE
#define SK_PHASES 8
__device__ unsigned long long* gTrace;  // [launch][cta][phase][globaltimer ns, clock64]
__device__ unsigned* gLaunch;          // per CTA: how many launches it has seen (the launch a CTA belongs to)
__device__ __forceinline__ void traceMark(int phase)
{
    __shared__ unsigned launch;
    if (threadIdx.x != 0 || gTrace == nullptr) return;  // null while the plain timing runs
    const unsigned cta = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z), ctas = gridDim.x * gridDim.y * gridDim.z;
    if (phase == 0) launch = atomicAdd(gLaunch + cta, 1u);
    unsigned long long t, c;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    asm volatile("mov.u64 %0, %%clock64;" : "=l"(c));
    gTrace[(((size_t)launch * ctas + cta) * SK_PHASES + phase) * 2] = t;
    gTrace[(((size_t)launch * ctas + cta) * SK_PHASES + phase) * 2 + 1] = c;
}
#define SK_MARK(phase) traceMark(phase)
#endif
#include "../../../src/SplitCompute.Cuda/Kernels/common.cuh"
#include "../../../src/SplitCompute.Cuda/Kernels/tensor_core.cuh"
#include "../../../src/SplitCompute.Cuda/Kernels/skinny_product.cuh"

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { printf("%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e)); exit(1); } } while (0)

__global__ void fillH(floatX* p, long long n, unsigned seed, float scale)
{
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    unsigned long long z = i * 0x9E3779B97F4A7C15ull + seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; z = (z ^ (z >> 27)) * 0x94D049BB133111EBull; z ^= z >> 31;
    p[i] = fromF(scale * ((float)(z >> 40) * (1.0f / 16777216.0f) * 2.f - 1.f));
}
__global__ void fillF(float* p, long long n, unsigned seed, float scale)
{
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    unsigned long long z = i * 0x9E3779B97F4A7C15ull + seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; z = (z ^ (z >> 27)) * 0x94D049BB133111EBull; z ^= z >> 31;
    p[i] = scale * ((float)(z >> 40) * (1.0f / 16777216.0f) * 2.f - 1.f);
}
// ref (R, N) fp32 = X W^T + bias (+ gelu)
__global__ void reference(float* ref, const floatX* x, const floatX* w, const void* bias, int R, int N, int K, int epi)
{
    int n = blockIdx.x * blockDim.x + threadIdx.x, r = blockIdx.y;
    if (n >= N) return;
    float s = 0;
    for (int k = 0; k < K; k++) s += toF(x[(size_t)r * K + k]) * toF(w[(size_t)n * K + k]);
    s += epi == SK_RESIDUAL ? ((const float*)bias)[n] : toF(((const floatX*)bias)[n]);
    if (epi == SK_GELU_BIAS) s = geluTanh(s);
    ref[(size_t)r * N + n] = s;
}
__global__ void toFloat(float* dst, const floatX* src, long long n)
{
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) dst[i] = toF(src[i]);
}

#if SK_TRACE
static double median(std::vector<double> v) { std::sort(v.begin(), v.end()); return v.empty() ? 0 : v[v.size() / 2]; }
// Where a launch's time goes, from one replay of the graph: launches 1 .. n-1 (the first has no kernel before it). Across
// CTAs by %globaltimer (ns, coarse: ~0.26 us steps here), within a CTA by %clock64 (cycles, at the clock measured over
// the replay).
static void printTimeline(const std::vector<unsigned long long>& tr, int launches, int ctas)
{
    auto stamp = [&](int l, int c, int p, int k) {  // a phase the build does not stamp (1 without PDL) takes the one before
        for (; p > 0 && tr[(((size_t)l * ctas + c) * SK_PHASES + p) * 2] == 0; p--) {}
        return (double)tr[(((size_t)l * ctas + c) * SK_PHASES + p) * 2 + k];
    };
    auto ns = [&](int l, int c, int p) { return stamp(l, c, p, 0); };
    auto cycles = [&](int l, int c, int p) { return stamp(l, c, p, 1); };
    std::vector<double> gap, span, spread, rate, ph[SK_PHASES - 1];
    for (int l = 1; l < launches; l++)
    {
        double lo = 1e30, hi = 0, prevHi = 0, lastStart = 0;
        for (int c = 0; c < ctas; c++)
        {
            lo = std::min(lo, ns(l, c, 0)); lastStart = std::max(lastStart, ns(l, c, 0));
            hi = std::max(hi, ns(l, c, SK_PHASES - 1)); prevHi = std::max(prevHi, ns(l - 1, c, SK_PHASES - 1));
            const double dt = ns(l, c, SK_PHASES - 1) - ns(l, c, 0);
            if (dt > 2000) rate.push_back((cycles(l, c, SK_PHASES - 1) - cycles(l, c, 0)) / dt);
        }
        gap.push_back(lo - prevHi); span.push_back(hi - lo); spread.push_back(lastStart - lo);
        for (int c = 0; c < ctas; c++)
            for (int p = 1; p < SK_PHASES; p++) ph[p - 1].push_back(cycles(l, c, p) - cycles(l, c, p - 1));
    }
    const double ghz = median(rate);
    auto us = [&](int p) { return median(ph[p]) / ghz / 1e3; };
    printf("    timeline: previous launch's last CTA end -> first CTA start %.2f us; first start -> last end %.2f; CTA starts "
           "spread %.2f | per CTA (clock %.2f GHz, us): griddepcontrol.wait %.3f, first step lands %.3f, main loop %.3f, "
           "partial tile %.3f, cluster barrier %.3f, sums + stores %.3f, final barrier %.3f\n",
           median(gap) / 1e3, median(span) / 1e3, median(spread) / 1e3, ghz, us(0), us(1), us(2), us(3), us(4), us(5), us(6));
}
#endif

typedef void (*Kernel)(void*, const floatX*, const floatX*, const void*, int, int, int);
Kernel pick(int epi, int split)
{
#define P(s) case s: return epi == SK_BIAS ? skinny_bias_##s : epi == SK_GELU_BIAS ? skinny_gelu_##s : skinny_residual_##s;
    switch (split) { P(1) P(2) P(3) P(4) P(5) P(6) P(8) }
    return nullptr;
}

int main(int argc, char** argv)
{
    struct Shape { const char* name; int N, K, epi; };
    Shape shapes[] = { {"qkv", 4800, 1600, SK_BIAS}, {"attn.c_proj", 1600, 1600, SK_RESIDUAL},
                       {"mlp.c_fc", 6400, 1600, SK_GELU_BIAS}, {"mlp.c_proj", 1600, 6400, SK_RESIDUAL},
                       {"fixed K=64", 1600, 64, SK_RESIDUAL}, {"fixed K=128", 1600, 128, SK_RESIDUAL},
                       {"fixed bias K=64", 4800, 64, SK_BIAS}, {"gpt2 mlp.c_proj", 768, 3072, SK_RESIDUAL} };
    int rowsList[] = {128, 100};
    int splits[] = {1, 2, 3, 4, 5, 6, 8};
    const int copies = 20;
    cudaDeviceProp prop; CK(cudaGetDeviceProperties(&prop, 0));
    int runtime = 0; CK(cudaRuntimeGetVersion(&runtime));
    printf("# device: %s (sm_%d%d, %d SMs), CUDA runtime %d; SK_STAGES %d, SK_PDL %d; median of 20 graph replays, us per launch\n",
           prop.name, prop.major, prop.minor, prop.multiProcessorCount, runtime, SK_STAGES, SK_PDL);
    for (int s : splits) for (int ep = 0; ep < 3; ep++)
        CK(cudaFuncSetAttribute(pick(ep, s), cudaFuncAttributeMaxDynamicSharedMemorySize, SK_SHARED));
    cudaStream_t stream; CK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
    for (auto& sh : shapes)
    for (int R : rowsList)
    {
        if (R != 128 && sh.K != 6400 && sh.N != 768) continue;
        if (R != 128 && sh.K < 1600) continue;  // edge cases on one shape only
        const int N = sh.N, K = sh.K;
        floatX *x, *w; void* bias; void* out; float *ref, *outF, *y0;
        CK(cudaMalloc(&x, (size_t)R * K * 2));
        CK(cudaMalloc(&w, (size_t)copies * N * K * 2));
        CK(cudaMalloc(&bias, (size_t)N * 4));
        CK(cudaMalloc(&out, (size_t)R * N * 4));
        CK(cudaMalloc(&ref, (size_t)R * N * 4));
        CK(cudaMalloc(&outF, (size_t)R * N * 4));
        CK(cudaMalloc(&y0, (size_t)R * N * 4));
        fillH<<<(R * K + 255) / 256, 256, 0, stream>>>(x, (long long)R * K, 1, 1.f);
        fillH<<<(int)(((long long)copies * N * K + 255) / 256), 256, 0, stream>>>(w, (long long)copies * N * K, 2, 1.f / sqrtf((float)K) * 1.7f);
        if (sh.epi == SK_RESIDUAL) fillF<<<(N + 255) / 256, 256, 0, stream>>>((float*)bias, N, 3, 0.5f);
        else fillH<<<(N + 255) / 256, 256, 0, stream>>>((floatX*)bias, N, 3, 0.5f);
        fillF<<<(R * N + 255) / 256, 256, 0, stream>>>(y0, (long long)R * N, 4, 2.f);
        reference<<<dim3((N + 127) / 128, R), 128, 0, stream>>>(ref, x, w, bias, R, N, K, sh.epi);
        std::vector<float> hr((size_t)R * N), ho((size_t)R * N), hy((size_t)R * N);
        CK(cudaMemcpyAsync(hr.data(), ref, hr.size() * 4, cudaMemcpyDeviceToHost, stream));
        CK(cudaMemcpyAsync(hy.data(), y0, hy.size() * 4, cudaMemcpyDeviceToHost, stream));
        CK(cudaStreamSynchronize(stream));
        for (int split : splits)
        {
            Kernel kern = pick(sh.epi, split);
            dim3 grid((N + SK_FEATURES - 1) / SK_FEATURES, split, (R + SK_TOKENS - 1) / SK_TOKENS);
            CK(cudaMemcpyAsync(out, y0, (size_t)R * N * 4, cudaMemcpyDeviceToDevice, stream));
            kern<<<grid, SK_THREADS, SK_SHARED, stream>>>(out, x, w, bias, R, N, K);
            CK(cudaGetLastError());
            if (sh.epi == SK_RESIDUAL) CK(cudaMemcpyAsync(ho.data(), out, ho.size() * 4, cudaMemcpyDeviceToHost, stream));
            else { toFloat<<<(R * N + 255) / 256, 256, 0, stream>>>(outF, (floatX*)out, (long long)R * N);
                   CK(cudaMemcpyAsync(ho.data(), outF, ho.size() * 4, cudaMemcpyDeviceToHost, stream)); }
            CK(cudaStreamSynchronize(stream));
            double maxErr = 0, maxRef = 0;
            for (size_t i = 0; i < hr.size(); i++)
            {
                double expect = hr[i] + (sh.epi == SK_RESIDUAL ? hy[i] : 0.0);
                maxErr = std::max(maxErr, std::fabs(ho[i] - expect));
                maxRef = std::max(maxRef, std::fabs(expect));
            }
            cudaGraph_t g; cudaGraphExec_t ge;
            CK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
            for (int c = 0; c < copies; c++)
            {
#if SK_PDL
                cudaLaunchConfig_t cfg = {};
                cfg.gridDim = grid; cfg.blockDim = dim3(SK_THREADS); cfg.dynamicSmemBytes = SK_SHARED; cfg.stream = stream;
                cudaLaunchAttribute attr[1];
                attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization; attr[0].val.programmaticStreamSerializationAllowed = 1;
                cfg.attrs = attr; cfg.numAttrs = 1;
                const floatX* wc = w + (size_t)c * N * K;
                CK(cudaLaunchKernelEx(&cfg, kern, out, (const floatX*)x, wc, (const void*)bias, R, N, K));
#else
                kern<<<grid, SK_THREADS, SK_SHARED, stream>>>(out, x, w + (size_t)c * N * K, bias, R, N, K);
#endif
            }
            CK(cudaStreamEndCapture(stream, &g));
            CK(cudaGraphInstantiate(&ge, g, 0));
            std::vector<float> t;
            for (int rep = -3; rep < 20; rep++)
            {
                CK(cudaEventRecord(e0, stream)); CK(cudaGraphLaunch(ge, stream)); CK(cudaEventRecord(e1, stream));
                CK(cudaEventSynchronize(e1));
                float ms; CK(cudaEventElapsedTime(&ms, e0, e1));
                if (rep >= 0) t.push_back(ms * 1000.f / copies);
            }
            std::sort(t.begin(), t.end());
#if SK_TRACE
            {
                const int ctas = grid.x * grid.y * grid.z;
                unsigned long long* trace; unsigned* launched;
                CK(cudaMalloc(&trace, (size_t)copies * ctas * SK_PHASES * 16));
                CK(cudaMalloc(&launched, (size_t)ctas * 4));
                CK(cudaMemset(trace, 0, (size_t)copies * ctas * SK_PHASES * 16));
                CK(cudaMemset(launched, 0, (size_t)ctas * 4));
                CK(cudaMemcpyToSymbol(gTrace, &trace, sizeof(trace)));
                CK(cudaMemcpyToSymbol(gLaunch, &launched, sizeof(launched)));
                CK(cudaDeviceSynchronize());
                CK(cudaGraphLaunch(ge, stream));
                CK(cudaStreamSynchronize(stream));
                std::vector<unsigned long long> tr((size_t)copies * ctas * SK_PHASES * 2);
                CK(cudaMemcpy(tr.data(), trace, tr.size() * 8, cudaMemcpyDeviceToHost));
                cudaFree(trace); cudaFree(launched);
                printTimeline(tr, copies, ctas);
                trace = nullptr; launched = nullptr;
                CK(cudaMemcpyToSymbol(gTrace, &trace, sizeof(trace)));
                CK(cudaMemcpyToSymbol(gLaunch, &launched, sizeof(launched)));
                CK(cudaDeviceSynchronize());
            }
#endif
            double bytes = (double)N * K * 2;
            printf("%-16s R=%3d N=%5d K=%5d split %d  grid %3d CTAs  max|err| %.3g (max|y| %.3g)  %7.2f us  (%.0f GB/s weights)\n",
                   sh.name, R, N, K, split, grid.x * grid.y * grid.z, maxErr, maxRef, t[t.size() / 2], bytes / (t[t.size() / 2] * 1e3));
            CK(cudaGraphExecDestroy(ge)); CK(cudaGraphDestroy(g));
        }
        cudaFree(x); cudaFree(w); cudaFree(bias); cudaFree(out); cudaFree(ref); cudaFree(outF); cudaFree(y0);
    }
    printf("done\n");
    return 0;
}
