using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace SplitCompute.WebGpu.Gpu;

/// <summary>
/// The WGSL kernels embedded in this assembly (Kernels/*.wgsl), read once by file name. WGSL has no includes, so a line
/// <c>// #include "name.wgsl"</c> is replaced by that file's text (the product kernels share their epilogue this way); the
/// JavaScript client resolves the same lines the same way.
/// </summary>
internal static partial class KernelSource
{
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static string Read(string fileName) => Cache.GetOrAdd(fileName, static name => Resolve(name, ReadEmbedded(name), depth: 0));

    private static string Resolve(string fileName, string source, int depth)
    {
        if (depth > 4) throw new InvalidOperationException($"kernel source {fileName}: includes nested more than 4 deep");
        return Include().Replace(source, match => Resolve(match.Groups[1].Value, ReadEmbedded(match.Groups[1].Value), depth + 1));
    }

    private static string ReadEmbedded(string name)
    {
        var resource = $"SplitCompute.WebGpu.Kernels.{name}";
        using var stream = typeof(KernelSource).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"kernel source {resource} is not embedded in {typeof(KernelSource).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex("""^// #include "([a-z0-9_]+\.wgsl)"\r?$""", RegexOptions.Multiline)]
    private static partial Regex Include();
}
