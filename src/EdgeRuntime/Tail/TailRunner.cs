using System.Diagnostics.CodeAnalysis;
using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
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

    /// <summary>Runs the tail on verified shards.</summary>
    public float[][] Run(HiddenStateFrame frame, IReadOnlyList<string> shardPaths) =>
        TryRun(frame, shardPaths, Verified, out var embeddings) ? embeddings : throw new InvalidOperationException("verified shards were refused");

    /// <summary>
    /// Runs the tail on shards whose SHA-256 check may still be running (<see cref="Shards.ShardLease.Verified"/>): the weights
    /// load meanwhile (<see cref="VerifiedLoad"/>), and the tail runs only once the check passed. False, with nothing run and
    /// nothing kept (not even the backend already loaded for this revision and k, which may read those files), when it failed.
    /// </summary>
    public bool TryRun(HiddenStateFrame frame, IReadOnlyList<string> shardPaths, Task<bool> verified, [NotNullWhen(true)] out float[][]? embeddings)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(verified);
        var manifest = frame.Manifest ?? throw new ArgumentException("a hidden-state frame carries a manifest", nameof(frame));
        lock (_gate)  // one tail at a time: a request for another revision or k must not release weights in use
        {
            var backend = Backend(manifest, frame.LayersDone, shardPaths, verified);
            embeddings = backend is null ? null : RunLocked(frame, backend);
            return embeddings is not null;
        }
    }

    private static readonly Task<bool> Verified = Task.FromResult(true);

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

    private ILayerRangeBackend? Backend(ShardManifest manifest, int k, IReadOnlyList<string> shardPaths, Task<bool> verified)
    {
        var key = $"{manifest.Model}@{manifest.Revision}/{k}";
        if (_loaded is { } loaded && loaded.Key == key)
        {
            if (verified.GetAwaiter().GetResult()) return loaded.Backend;
            Release();
            return null;
        }
        // The tail never embeds, so vocabulary size and positions do not matter; 1 keeps the config valid.
        var config = new Gpt2Config(1, 1, manifest.NEmbd, manifest.NLayer, manifest.NHead, (float)manifest.LayerNormEpsilon, "gelu_new");
        if (VerifiedLoad.Load($"shard cache for {key}", shardPaths, config, k.., finalNorm: true, _createBackend, verified) is not { } load) return null;
        Release();
        _loaded = (key, load.Weights, load.Backend);
        return load.Backend;
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
