using System.Diagnostics;
using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;

namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>
/// A tail backend <c>slowdown</c> times slower than the real one it wraps: each layer range runs for real, then the thread sleeps
/// (slowdown - 1) times as long. A slow device is emulated without taking more of this machine's cores from the worker.
/// </summary>
internal sealed class EmulatedDevice(ILayerRangeBackend inner, double slowdown) : ILayerRangeBackend
{
    public string Name => inner.Name;

    public LayerStackShape Shape => inner.Shape;

    public HiddenState Embed(TokenBatch batch) => inner.Embed(batch);

    public void RunLayers(HiddenState hidden, int from, int to)
    {
        var clock = Stopwatch.StartNew();
        inner.RunLayers(hidden, from, to);
        var extra = clock.Elapsed * (slowdown - 1);
        if (extra > TimeSpan.Zero) Thread.Sleep(extra);
    }

    public void ApplyFinalNorm(HiddenState hidden) => inner.ApplyFinalNorm(hidden);

    public void Dispose() => inner.Dispose();
}
