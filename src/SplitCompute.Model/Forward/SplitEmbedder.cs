using System.Diagnostics;

namespace SplitCompute.Model.Forward;

/// <summary>
/// Runs embed -> layers [0, k) -> layers [k, N) -> final norm -> pooling through the public layer-range API, as two separate
/// passes, and times each stage. k = N (or null) is the unsplit model. The head and tail may be different backends.
/// </summary>
public static class SplitEmbedder
{
    public static (float[][] Embeddings, SplitTimings Timings) Embed(
        ILayerRangeBackend head, ILayerRangeBackend tail, TokenBatch batch, int? split, Pooling pooling, int leadingExcluded = 0)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(tail);
        var n = head.Shape.Layers;
        var k = split ?? n;
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(split), $"split {k} is outside [0, {n}]");

        var clock = Stopwatch.StartNew();
        var hidden = head.Embed(batch);
        var embedMs = Lap(clock);
        head.RunLayers(hidden, 0, k);
        var headMs = Lap(clock);
        tail.RunLayers(hidden, k, n);
        var tailMs = Lap(clock);
        tail.ApplyFinalNorm(hidden);
        var embeddings = Pooler.Pool(hidden, pooling, leadingExcluded);
        var finishMs = Lap(clock);
        return (embeddings, new SplitTimings(embedMs, headMs, tailMs, finishMs));
    }

    private static double Lap(Stopwatch clock)
    {
        var ms = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return ms;
    }
}
