// Our own products for Hopper (sm_90a: wgmma, clusters), compiled by NVRTC only on such a device and only for fp16: the
// split-K cluster product of skinny_product.cuh, launched with programmatic dependent launch (its weights start loading
// while the kernel before it finishes). KernelSource inlines the #include lines (embedded files).

#define SC_F16 1
#define SK_PDL 1
// The K slices' partial tiles cross the cluster as fp16 (half the bytes of the slowest phase), summed in fp32: each adds
// one fp16 rounding of a slice's partial (~2e-4 relative on the residual products, cuda-skinny-product-h200.txt).
#define SK_PARTIAL_F16 1
#include "common.cuh"
#include "tensor_core.cuh"
#include "skinny_product.cuh"
