// What NVRTC gives gpt2.cu without any header, declared for clang's CUDA mode (-nocudainc) so that KernelSourceCompileTests
// can compile the kernels on machines without CUDA: the qualifiers, the vector types, and the few device functions the
// kernels call (declarations only; nothing is linked, the output is PTX).
#include <__clang_cuda_builtin_vars.h>
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
#define __align__(n) __attribute__((aligned(n)))
#define __cluster_dims__(...)  // sm_90 cluster shape: clang 14 has no such attribute, and PTX for sm_80 needs none
#define __restrict__ __restrict
typedef unsigned long size_t;
struct __attribute__((aligned(16))) uint4 { unsigned x, y, z, w; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(8))) float2 { float x, y; };
struct __attribute__((aligned(8))) uint2 { unsigned x, y; };
__device__ float sqrtf(float);
__device__ float expf(float);
__device__ float erff(float);
__device__ float tanhf(float);
__device__ float fmaxf(float, float);
__device__ inline int min(int a, int b) { return a < b ? a : b; }
__device__ inline float __int_as_float(int i) { return __builtin_bit_cast(float, i); }
__device__ inline float __shfl_xor_sync(unsigned mask, float v, int lane) { return __nvvm_shfl_sync_bfly_f32(mask, v, lane, 31); }
__device__ inline float __shfl_sync(unsigned mask, float v, int lane) { return __nvvm_shfl_sync_idx_f32(mask, v, lane, 31); }
