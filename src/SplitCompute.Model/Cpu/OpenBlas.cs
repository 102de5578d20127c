using System.Reflection;
using System.Runtime.InteropServices;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// cblas_sgemm from Debian's libopenblas0-pthread. Resolved by soname first, then from the Debian alternatives folder,
/// so a machine where only the pthread flavour is installed still finds it. Missing library: one clear error naming the package.
/// </summary>
internal static unsafe partial class OpenBlas
{
    private const string Library = "openblas";
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    private static readonly string[] Candidates =
    [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so",
    ];

    static OpenBlas() => NativeLibrary.SetDllImportResolver(typeof(OpenBlas).Assembly, Resolve);

    /// <summary>Loads the library now, throwing a clear error if it is absent.</summary>
    public static void EnsureLoaded() => _ = openblas_get_num_threads();

    public static int ThreadCount => openblas_get_num_threads();

    public static string ConfigString => Marshal.PtrToStringUTF8(openblas_get_config()) ?? "";

    /// <summary>C(M,N) = alpha * A(M,K) * op(B) + beta * C, all row-major. transB: B is stored (N,K).</summary>
    public static void Sgemm(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, bool transB = false) =>
        cblas_sgemm(RowMajor, NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        throw new DllNotFoundException(
            $"OpenBLAS not found (tried {string.Join(", ", Candidates)}). Install Debian's libopenblas0-pthread; ./splitcompute does this on first use.");
    }

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library)]
    private static partial int openblas_get_num_threads();

    [LibraryImport(Library)]
    private static partial IntPtr openblas_get_config();
}
