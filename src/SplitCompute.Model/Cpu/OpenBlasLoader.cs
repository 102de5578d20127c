using System.Runtime.InteropServices;

namespace SplitCompute.Model.Cpu;

/// <summary>
/// Loads OpenBLAS with a kernel set chosen from the CPU's features (unless the user set OPENBLAS_CORETYPE), checks its products
/// against a reference, and falls back down <see cref="OpenBlasCoreTypes.For"/> when they are wrong. OpenBLAS reads its
/// variables once, through libc's getenv, when it loads: they are set with libc's setenv (Environment.SetEnvironmentVariable
/// does not reach getenv), and a fallback unloads the library and loads it again. The check calls exports by address, so no
/// P/Invoke binds to a library that is then unloaded.
/// </summary>
internal static unsafe partial class OpenBlasLoader
{
    private const string CoreTypeVariable = "OPENBLAS_CORETYPE";

    /// <summary>
    /// OpenBLAS threads busy-wait about 2^28 cycles after each call by default. On a few cores that spinning steals the CPU from
    /// the LayerNorm/attention/GELU work between products, so unless the user chose a value it is shortened.
    /// </summary>
    private const string ThreadTimeoutVariable = "OPENBLAS_THREAD_TIMEOUT";
    private const string DefaultThreadTimeout = "4";

    private static readonly string[] Candidates =
    [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so",
    ];

    public static (IntPtr Handle, OpenBlasSelection Selection) Load()
    {
        if (GetVariable(ThreadTimeoutVariable) is null) SetVariable(ThreadTimeoutVariable, DefaultThreadTimeout);
        // An empty value counts as unset, as for a container given ${OPENBLAS_CORETYPE:-} from a host that has none.
        if (GetVariable(CoreTypeVariable) is { Length: > 0 } userChoice)
            return LoadChecked($"{CoreTypeVariable}={userChoice} set by the user", ladder: []);

        var cpu = X86Features.Detect();
        var ladder = OpenBlasCoreTypes.For(cpu);
        return ladder.Count == 0
            ? LoadChecked("OpenBLAS's own detection", ladder: [])
            : LoadChecked($"chosen from the CPU's features, {cpu}", ladder);
    }

    /// <summary>Loads with each core type of <paramref name="ladder"/> in turn (or once as the environment is) until the check passes.</summary>
    private static (IntPtr, OpenBlasSelection) LoadChecked(string source, IReadOnlyList<string> ladder)
    {
        var failures = new List<string>();
        for (var i = 0; i < Math.Max(1, ladder.Count); i++)
        {
            if (ladder.Count > 0) SetVariable(CoreTypeVariable, ladder[i]);
            var handle = LoadLibrary();
            var coreName = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)Export(handle, "openblas_get_corename"))()) ?? "?";
            var check = OpenBlasSelfCheck.Run(SgemmAt(Export(handle, "cblas_sgemm")));
            if (check.Passed)
            {
                var why = source;
                if (ladder.Count > 0 && !string.Equals(coreName, ladder[i], StringComparison.OrdinalIgnoreCase))
                    why += $"; asked for {ladder[i]}, this OpenBLAS runs {coreName}";  // an unknown name, or loaded before us
                if (failures.Count > 0) why += $"; fallback after wrong products with {string.Join(", ", failures)}";
                var threads = ((delegate* unmanaged<int>)Export(handle, "openblas_get_num_threads"))();
                var config = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)Export(handle, "openblas_get_config"))()) ?? "";
                return (handle, new OpenBlasSelection(coreName, why, threads, config, check.Error));
            }
            failures.Add($"{coreName} (relative error {check.Error:E2} on {check.Shape})");
            NativeLibrary.Free(handle);  // OpenBLAS reads OPENBLAS_CORETYPE again when it is loaded again
        }
        throw new OpenBlasUnusableException(
            $"OpenBLAS computes wrong matrix products on this CPU ({source}): {string.Join(", ", failures)}; the tolerance is " +
            $"{OpenBlasSelfCheck.Tolerance:E0}. Set {CoreTypeVariable} to a kernel set that works here (e.g. {OpenBlasCoreTypes.Safe}) " +
            "or install another OpenBLAS build.");
    }

    private static OpenBlasSelfCheck.Sgemm SgemmAt(IntPtr address) =>
        (m, n, k, a, lda, b, ldb, transB, c, ldc) =>
            ((delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)address)(
                OpenBlas.RowMajor, OpenBlas.NoTrans, transB ? OpenBlas.Trans : OpenBlas.NoTrans, m, n, k, 1f, a, lda, b, ldb, 1f, c, ldc);

    private static IntPtr LoadLibrary()
    {
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        throw new DllNotFoundException(
            $"OpenBLAS not found (tried {string.Join(", ", Candidates)}). Install Debian's libopenblas0-pthread; ./splitcompute does this on first use.");
    }

    private static IntPtr Export(IntPtr handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"the loaded OpenBLAS has no {name}; it is too old or not OpenBLAS");

    private static string? GetVariable(string name) => Marshal.PtrToStringUTF8(getenv(name));

    private static void SetVariable(string name, string value)
    {
        if (setenv(name, value, 1) != 0) throw new InvalidOperationException($"setenv({name}={value}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);
}
