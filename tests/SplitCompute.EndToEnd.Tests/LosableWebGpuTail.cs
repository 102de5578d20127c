using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.WebGpu.Backend;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// The edge's real WebGPU tail (each backend on a device of its own, as <c>TailBackends.WebGpu()</c> makes them) whose device
/// can be lost on demand. Armed with <see cref="LoseNextDevice"/>, the next tail destroys its device right before the real
/// <c>RunLayers</c>: after the shards were fetched, verified and uploaded, so the loss lands in the middle of the request,
/// and Dawn reports it exactly as it reports a driver reset.
/// </summary>
internal sealed class LosableWebGpuTail
{
    private int _armed;
    private int _opened;
    private int _lost;

    /// <summary>Backends (devices) made so far.</summary>
    public int DevicesOpened => Volatile.Read(ref _opened);

    /// <summary>Devices destroyed so far.</summary>
    public int DevicesLost => Volatile.Read(ref _lost);

    /// <summary>The newest backend made, while its client holds it.</summary>
    public WebGpuBackend? Current { get; private set; }

    public void LoseNextDevice() => Volatile.Write(ref _armed, 1);

    /// <summary>The factory to hand the edge client.</summary>
    public ILayerRangeBackend Create(Gpt2Weights weights)
    {
        var backend = WebGpuBackend.Create(weights);
        Interlocked.Increment(ref _opened);
        Current = backend;
        return new Losing(backend, this);
    }

    private bool Disarm() => Interlocked.Exchange(ref _armed, 0) == 1;

    /// <summary>Passes everything to the real backend; armed, destroys its device first.</summary>
    private sealed class Losing(WebGpuBackend inner, LosableWebGpuTail owner) : ILayerRangeBackend
    {
        public string Name => inner.Name;

        public LayerStackShape Shape => inner.Shape;

        public HiddenState Embed(TokenBatch batch) => inner.Embed(batch);

        public void RunLayers(HiddenState hidden, int from, int to)
        {
            if (owner.Disarm())
            {
                inner.Device.Destroy();
                Interlocked.Increment(ref owner._lost);
            }
            inner.RunLayers(hidden, from, to);
        }

        public void ApplyFinalNorm(HiddenState hidden) => inner.ApplyFinalNorm(hidden);

        public void Dispose() => inner.Dispose();
    }
}
