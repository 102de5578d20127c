namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Settings of <see cref="CudaBackend"/> that a deployment chooses; the defaults are the serving configuration. The variants
/// the benchmarks and tests compare against it are internal (CudaBackendOptions.Variants.cs).
/// </summary>
public sealed partial record CudaBackendOptions
{
    public CudaPrecision Precision { get; init; } = CudaPrecision.Float16;

    /// <summary>
    /// Executable graphs kept (least recently used ones are dropped beyond this): room for one graph per block and per common
    /// range at several shapes (gpt2-xl: 48 per shape).
    /// </summary>
    public int MaxGraphs { get; init; } = 1024;

    /// <summary>Where compiled kernels are kept between runs; null keeps them in memory only.</summary>
    public string? KernelCacheDirectory { get; init; }

    public int DeviceOrdinal { get; init; }

    /// <summary>Extra folders searched for libcublasLt / libnvrtc after the loader's own paths.</summary>
    public IReadOnlyList<string> LibraryDirectories { get; init; } = [];
}
