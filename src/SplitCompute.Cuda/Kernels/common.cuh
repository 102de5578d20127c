// Types and warp helpers every GPT-2 kernel shares. The residual stream x is always fp32; "floatX" is the type of the
// products' activations (normed input, qkv, attention, fc): fp16 in the SC_F16 build, fp32 otherwise.
// No headers: NVRTC then needs no CUDA include folder, and fp16 conversion is a PTX instruction.

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

// GELU, tanh form (HF "gelu_new", as cuBLASLt's GELU epilogue computes it).
__device__ __forceinline__ float geluTanh(float v)
{
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    return 0.5f * v * (1.f + tanhf(k * (v + 0.044715f * v * v * v)));
}

// Two floats as one f16x2 word, lo in the low half (the element with the lower index).
__device__ __forceinline__ unsigned pack2(float lo, float hi)
{
    unsigned r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

// Lets a kernel launched after this one with programmatic dependent launch (our Hopper products) start now and load its
// weights meanwhile; it waits with griddepcontrol.wait before reading anything this kernel writes. No effect on a kernel
// launched the ordinary way, and compiled out below sm_90.
__device__ __forceinline__ void allowDependentLaunch()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// The other half: a kernel launched with programmatic dependent launch (LayerNorm and attention, after a product that let
// them start early) waits here until the kernel before it has completed and its writes are visible. Returns at once for a
// kernel launched the ordinary way; compiled out below sm_90.
__device__ __forceinline__ void waitForPrevious()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
