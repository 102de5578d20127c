// Tensor-core and async-copy primitives (sm_80+), as inline PTX so that NVRTC needs no header.
// Fragment layouts (PTX ISA, mma.m16n8k16, g = lane / 4, t = lane % 4): A a0 (g, 2t..2t+1) a1 (g+8, 2t..) a2 (g, 2t+8..)
// a3 (g+8, 2t+8..); B b0 (k 2t..2t+1, n g) b1 (k 2t+8.., n g); C c0 c1 (g, 2t..2t+1) c2 c3 (g+8, 2t..2t+1).

__device__ __forceinline__ void mma16816(float* c, const unsigned* a, unsigned b0, unsigned b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ unsigned sharedAddress(const void* p)
{
    unsigned a;
    asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
    return a;
}

// 16 bytes global -> shared without passing through registers; when !valid the 16 bytes are zero-filled and nothing is read.
__device__ __forceinline__ void copyAsync16(void* shared, const void* global, bool valid)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(sharedAddress(shared)), "l"(global), "r"(valid ? 16 : 0) : "memory");
}

// 16 bytes global -> shared at a shared-window address (as sharedAddress gives), always read.
__device__ __forceinline__ void copyAsync16At(unsigned shared, const void* global)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(shared), "l"(global) : "memory");
}

__device__ __forceinline__ void copyAsyncCommit() { asm volatile("cp.async.commit_group;" ::: "memory"); }

// Waits until at most N committed groups are still in flight.
template <int N>
__device__ __forceinline__ void copyAsyncWait() { asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory"); }

// Four 8x8 b16 matrices from shared memory; lanes 8i..8i+7 give the row addresses of matrix i, which lands in r[i]
// (thread l: row l / 4, columns 2 (l % 4) and + 1). With .trans each matrix arrives transposed.
__device__ __forceinline__ void loadMatrices(unsigned* r, const void* shared)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(sharedAddress(shared)));
}

__device__ __forceinline__ void loadMatricesTransposed(unsigned* r, const void* shared)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(sharedAddress(shared)));
}

// 2^x, approximate (ex2.approx: 2 ulp); 2^-inf = 0.
__device__ __forceinline__ float exp2Fast(float x)
{
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
