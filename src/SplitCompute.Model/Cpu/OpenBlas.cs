using System.Reflection;
using System.Runtime.InteropServices;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// cblas_sgemm from Debian's libopenblas0-pthread. The library is loaded, its kernel set chosen and checked by
/// <see cref="OpenBlasLoader"/> the first time anything here is used; the import resolver hands that handle to the P/Invokes.
/// </summary>
internal static unsafe partial class OpenBlas
{
    private const string Library = "openblas";
    public const int RowMajor = 101;
    public const int NoTrans = 111;
    public const int Trans = 112;

    private static readonly Lazy<(IntPtr Handle, OpenBlasSelection Selection)> Loaded = new(OpenBlasLoader.Load);

    static OpenBlas() => NativeLibrary.SetDllImportResolver(typeof(OpenBlas).Assembly, Resolve);

    /// <summary>Loads the library now, throwing a clear error if it is absent or computes wrong products.</summary>
    public static void EnsureLoaded() => _ = Loaded.Value;

    /// <summary>Which kernels run and why; loads the library if it is not yet.</summary>
    public static OpenBlasSelection Selection => Loaded.Value.Selection;

    /// <summary>C(M,N) = alpha * A(M,K) * op(B) + beta * C, all row-major. transB: B is stored (N,K).</summary>
    public static void Sgemm(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, bool transB = false) =>
        cblas_sgemm(RowMajor, NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Library ? Loaded.Value.Handle : IntPtr.Zero;

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
}
