using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Tail;

/// <summary>
/// Runs layers [k, N), the final norm and pooling for a hidden-state frame on this machine, on the backend the factory makes
/// (<see cref="TailBackends"/>: the CPU by default, or Dawn/WebGPU). Weights are bound once per (revision, k) and kept.
/// </summary>
public sealed class TailRunner : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Func<Gpt2Weights, ILayerRangeBackend> _createBackend;
    private (string Key, Gpt2Weights Weights, ILayerRangeBackend Backend)? _loaded;

    public TailRunner() : this(TailBackends.Cpu)
    {
    }

    /// <param name="createBackend">Makes the backend for newly bound weights (it must not take ownership of them).</param>
    public TailRunner(Func<Gpt2Weights, ILayerRangeBackend> createBackend)
    {
        ArgumentNullException.ThrowIfNull(createBackend);
        _createBackend = createBackend;
    }

    /// <summary>The name of the backend of the weights bound now ("cpu", "webgpu"), or null before the first run.</summary>
    public string? BackendName
    {
        get
        {
            lock (_gate) return _loaded?.Backend.Name;
        }
    }

    public float[][] Run(HiddenStateFrame frame, IReadOnlyList<string> shardPaths)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var manifest = frame.Manifest ?? throw new ArgumentException("a hidden-state frame carries a manifest", nameof(frame));
        lock (_gate)  // one tail at a time: a request for another revision or k must not release weights in use
        {
            return RunLocked(frame, Backend(manifest, frame.LayersDone, shardPaths));
        }
    }

    private static float[][] RunLocked(HiddenStateFrame frame, ILayerRangeBackend backend)
    {
        // The tail needs only the mask: ids are not sent, padding follows the lengths (right-padded).
        var b = frame.BatchSize;
        var t = frame.SequenceLength;
        var mask = new byte[b * t];
        for (var i = 0; i < b; i++) mask.AsSpan(i * t, frame.Lengths[i]).Fill(1);
        var batch = new TokenBatch(b, t, new int[b * t], mask);
        var hidden = new HiddenState(batch, frame.Channels, frame.Data, frame.LayersDone);

        backend.RunLayers(hidden, frame.LayersDone, frame.LayerCount);
        backend.ApplyFinalNorm(hidden);
        return Pooler.Pool(hidden, frame.Pooling == FramePooling.Last ? Pooling.Last : Pooling.Mean);
    }

    private ILayerRangeBackend Backend(ShardManifest manifest, int k, IReadOnlyList<string> shardPaths)
    {
        var key = $"{manifest.Model}@{manifest.Revision}/{k}";
        {
            if (_loaded is { } loaded && loaded.Key == key) return loaded.Backend;
            // The tail never embeds, so vocabulary size and positions do not matter; 1 keeps the config valid.
            var config = new Gpt2Config(1, 1, manifest.NEmbd, manifest.NLayer, manifest.NHead, (float)manifest.LayerNormEpsilon, "gelu_new");
            var weights = Gpt2Weights.Bind(Checkpoint.OpenFiles($"shard cache for {key}", shardPaths), config, k.., embeddings: false, finalNorm: true);
            ILayerRangeBackend backend;
            try
            {
                backend = _createBackend(weights);
            }
            catch
            {
                weights.Dispose();
                throw;
            }
            Release();
            _loaded = (key, weights, backend);
            return backend;
        }
    }

    /// <summary>Drops the loaded backend (after a lost device or any backend failure) so the next tail starts afresh.</summary>
    public void Reset()
    {
        lock (_gate) Release();
    }

    private void Release()
    {
        if (_loaded is not { } loaded) return;
        loaded.Backend.Dispose();
        loaded.Weights.Dispose();
        _loaded = null;
    }

    public void Dispose()
    {
        lock (_gate) Release();
    }
}
