using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

/// <summary>
/// cuBLASLt (libcublasLt), the calls one fused matrix product needs: descriptors, layouts, a heuristic algorithm choice, and
/// the product itself. Enum values are those of cublasLt.h / library_types.h (CUDA 12 and 13 agree on them).
/// </summary>
internal static unsafe partial class CublasLt
{
    // cudaDataType_t
    public const int DataFloat32 = 0;
    public const int DataFloat16 = 2;

    // cublasComputeType_t: CUBLAS_COMPUTE_32F is true fp32 (no TF32), which the f32 parity mode depends on.
    public const int Compute32F = 68;

    // cublasLtMatmulDescAttributes_t
    public const int DescTransA = 3;
    public const int DescEpilogue = 7;
    public const int DescBiasPointer = 8;
    public const int DescBiasDataType = 26;

    // cublasOperation_t
    public const int OpTranspose = 1;

    // cublasLtEpilogue_t
    public const int EpilogueDefault = 1;
    public const int EpilogueBias = 4;
    public const int EpilogueGeluBias = 36;

    // cublasLtMatmulPreferenceAttributes_t
    public const int PreferenceMaxWorkspaceBytes = 1;

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtGetVersion")]
    public static partial nuint GetVersion();

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtCreate")]
    public static partial int Create(nint* handle);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtDestroy")]
    public static partial int Destroy(nint handle);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatmulDescCreate")]
    public static partial int MatmulDescCreate(nint* desc, int computeType, int scaleType);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatmulDescDestroy")]
    public static partial int MatmulDescDestroy(nint desc);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatmulDescSetAttribute")]
    public static partial int MatmulDescSetAttribute(nint desc, int attribute, void* value, nuint size);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatrixLayoutCreate")]
    public static partial int MatrixLayoutCreate(nint* layout, int type, ulong rows, ulong cols, long ld);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatrixLayoutDestroy")]
    public static partial int MatrixLayoutDestroy(nint layout);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatmulPreferenceCreate")]
    public static partial int PreferenceCreate(nint* preference);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatmulPreferenceDestroy")]
    public static partial int PreferenceDestroy(nint preference);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatmulPreferenceSetAttribute")]
    public static partial int PreferenceSetAttribute(nint preference, int attribute, void* value, nuint size);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatmulAlgoGetHeuristic")]
    public static partial int AlgoGetHeuristic(nint handle, nint desc, nint a, nint b, nint c, nint d, nint preference,
        int requested, MatmulHeuristicResult* results, int* returned);

    [LibraryImport(CudaLibrary.BlasLtName, EntryPoint = "cublasLtMatmul")]
    public static partial int Matmul(nint handle, nint desc, void* alpha, ulong a, nint aDesc, ulong b, nint bDesc, void* beta,
        ulong c, nint cDesc, ulong d, nint dDesc, MatmulAlgo* algo, ulong workspace, nuint workspaceBytes, nint stream);

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="what"/> unless the cublasStatus_t is success.</summary>
    public static void Check(int status, string what)
    {
        if (status != 0) throw new CudaException($"{what} failed: {StatusName(status)}");
    }

    public static string StatusName(int status) => status switch
    {
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus_t {status}",
    };
}
