namespace SplitCompute.Cuda.Kernels;

/// <summary>The .cu files embedded in this assembly (Kernels/*.cu), read by name.</summary>
internal static class KernelSource
{
    public static string Read(string fileName)
    {
        var name = $"SplitCompute.Cuda.Kernels.{fileName}";
        using var stream = typeof(KernelSource).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded kernel source '{name}' is missing from {typeof(KernelSource).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
