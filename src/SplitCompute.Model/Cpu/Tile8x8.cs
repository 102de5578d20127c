using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// The register-blocked product behind <see cref="AttentionJob"/>: C (8 x 8) = A (8 x K) B (K x 8), eight Vector256
/// accumulators, per k one load of B's row and eight broadcast multiply-adds. Small attention products (T x T x D per head)
/// are too small for OpenBLAS's threads; one call per (query tile, key tile) keeps them in registers instead.
/// </summary>
internal static unsafe class Tile8x8
{
    public const int Size = 8;

    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <summary>c[r, 0..8) = sum over p &lt; k of a[r lda + p] b[p ldb + 0..8), for r &lt; 8; stores rows r &lt; rows only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(float* a, int lda, float* b, int ldb, int k, float* c, int ldc, int rows)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (var p = 0; p < k; p++)
        {
            var row = Vector256.Load(b + ((long)p * ldb));
            var ap = a + p;
            c0 = Vector256.FusedMultiplyAdd(Vector256.Create(ap[0]), row, c0);
            c1 = Vector256.FusedMultiplyAdd(Vector256.Create(ap[lda]), row, c1);
            c2 = Vector256.FusedMultiplyAdd(Vector256.Create(ap[2 * lda]), row, c2);
            c3 = Vector256.FusedMultiplyAdd(Vector256.Create(ap[3 * lda]), row, c3);
            c4 = Vector256.FusedMultiplyAdd(Vector256.Create(ap[4 * lda]), row, c4);
            c5 = Vector256.FusedMultiplyAdd(Vector256.Create(ap[5 * lda]), row, c5);
            c6 = Vector256.FusedMultiplyAdd(Vector256.Create(ap[6 * lda]), row, c6);
            c7 = Vector256.FusedMultiplyAdd(Vector256.Create(ap[7 * lda]), row, c7);
        }
        Store(c0, c, ldc, 0, rows);
        Store(c1, c, ldc, 1, rows);
        Store(c2, c, ldc, 2, rows);
        Store(c3, c, ldc, 3, rows);
        Store(c4, c, ldc, 4, rows);
        Store(c5, c, ldc, 5, rows);
        Store(c6, c, ldc, 6, rows);
        Store(c7, c, ldc, 7, rows);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> value, float* c, int ldc, int row, int rows)
    {
        if (row < rows) value.Store(c + ((long)row * ldc));
    }
}
