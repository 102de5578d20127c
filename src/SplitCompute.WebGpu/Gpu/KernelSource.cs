using System.Collections.Concurrent;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>The WGSL kernels embedded in this assembly (Kernels/*.wgsl), read once by file name.</summary>
internal static class KernelSource
{
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static string Read(string fileName) => Cache.GetOrAdd(fileName, static name =>
    {
        var resource = $"SplitCompute.WebGpu.Kernels.{name}";
        using var stream = typeof(KernelSource).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"kernel source {resource} is not embedded in {typeof(KernelSource).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
