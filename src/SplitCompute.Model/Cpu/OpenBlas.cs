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

    /// <summary>
    /// OpenBLAS threads busy-wait about 2^28 cycles after each call by default. On a few cores that spinning steals the CPU from
    /// the LayerNorm/attention/GELU work between products, so unless the user chose a value we shorten it before the library
    /// loads (it reads the variable once, through libc's getenv, which Environment.SetEnvironmentVariable does not reach).
    /// </summary>
    private const string ThreadTimeoutVariable = "OPENBLAS_THREAD_TIMEOUT";
    private const string DefaultThreadTimeout = "4";

    static OpenBlas()
    {
        if (Environment.GetEnvironmentVariable(ThreadTimeoutVariable) is null) _ = setenv(ThreadTimeoutVariable, DefaultThreadTimeout, 0);
        NativeLibrary.SetDllImportResolver(typeof(OpenBlas).Assembly, Resolve);
    }

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

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
