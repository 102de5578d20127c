namespace SplitCompute.Model.Cpu;

/// <summary>Which OpenBLAS kernels this process runs, who chose them, and the start-up check's result; logged by the worker and CLI.</summary>
/// <param name="CoreName">What OpenBLAS reports running (openblas_get_corename), e.g. "Cooperlake".</param>
/// <param name="Source">Why these kernels: set by the user, chosen from the CPU's features, a fallback, or OpenBLAS's own detection.</param>
/// <param name="Threads">OpenBLAS's thread count (OPENBLAS_NUM_THREADS or all cores).</param>
/// <param name="Config">openblas_get_config(): version and build options.</param>
/// <param name="CheckError">The start-up sgemm check's worst relative error (passes at &lt;= 1e-4).</param>
public sealed record OpenBlasSelection(string CoreName, string Source, int Threads, string Config, double CheckError)
{
    public override string ToString() =>
        $"OpenBLAS {CoreName} kernels ({Source}), {Threads} threads, check error {CheckError:E1}; {Config}";
}
