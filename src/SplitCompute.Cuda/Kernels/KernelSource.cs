using System.Text;
using System.Text.RegularExpressions;

namespace SplitCompute.Cuda.Kernels;

/// <summary>
/// The .cu / .cuh files embedded in this assembly (Kernels/), read by name. A line <c>#include "x.cuh"</c> is replaced by that
/// embedded file (once per file, recursively), so NVRTC gets one self-contained source: it then needs no include folder, and
/// the kernels can live in one small file per concept.
/// </summary>
internal static partial class KernelSource
{
    public static string Read(string fileName)
    {
        var output = new StringBuilder();
        Append(fileName, output, new HashSet<string>(StringComparer.Ordinal), includedFrom: null);
        return output.ToString();
    }

    private static void Append(string fileName, StringBuilder output, HashSet<string> seen, string? includedFrom)
    {
        if (!seen.Add(fileName)) return;  // each header once, as #pragma once would
        var lineNumber = 0;
        foreach (var line in ReadEmbedded(fileName, includedFrom).Split('\n'))
        {
            lineNumber++;
            var include = IncludeLine().Match(line);
            if (include.Success) Append(include.Groups[1].Value, output, seen, $"{fileName}:{lineNumber}");
            else output.Append(line).Append('\n');
        }
    }

    private static string ReadEmbedded(string fileName, string? includedFrom)
    {
        var name = $"SplitCompute.Cuda.Kernels.{fileName}";
        using var stream = typeof(KernelSource).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded kernel source '{name}' is missing from {typeof(KernelSource).Assembly.GetName().Name}"
                                                   + (includedFrom is null ? "" : $" (included from {includedFrom})"));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
    }

    [GeneratedRegex("""^\s*#\s*include\s+"([A-Za-z0-9_.-]+)"\s*$""")]
    private static partial Regex IncludeLine();
}
