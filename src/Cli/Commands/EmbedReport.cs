using SplitCompute.Model.Forward;

namespace SplitCompute.Cli.Commands;

/// <summary>What one `embed` run produced, for text or JSON output.</summary>
internal sealed record EmbedReport(
    int Layers, int Split, Pooling Pooling, string Backend, int[] TokenCounts, float[][] Embeddings,
    double LoadMs, double TokenizeMs, SplitTimings Timings);
