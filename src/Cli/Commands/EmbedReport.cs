using SplitCompute.Model.Forward;

namespace SplitCompute.Cli.Commands;

/// <summary>What one `embed` run produced, for text or JSON output. Kernels: what the backend's products ran on (OpenBLAS's choice).</summary>
internal sealed record EmbedReport(
    int Layers, int Split, Pooling Pooling, string Backend, string Kernels, int[] TokenCounts, float[][] Embeddings,
    double LoadMs, double TokenizeMs, SplitTimings Timings);
