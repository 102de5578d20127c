// Our own products for Hopper (sm_90a: wgmma, clusters), compiled by NVRTC only on such a device and only for fp16: the
// split-K cluster product of skinny_product.cuh, launched with programmatic dependent launch (its weights start loading
// while the kernel before it finishes). KernelSource inlines the #include lines (embedded files).

#define SC_F16 1
#define SK_PDL 1
#include "common.cuh"
#include "tensor_core.cuh"
#include "skinny_product.cuh"
