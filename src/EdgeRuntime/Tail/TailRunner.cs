using System.Diagnostics.CodeAnalysis;
using SplitCompute.Model.Config;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Manifests;
using SplitCompute.WebGpu;

namespace SplitCompute.EdgeRuntime.Tail;

/// <summary>
/// Runs layers [k, N), the final norm and pooling for a hidden-state frame on this machine, on the backend the factory makes
/// (<see cref="TailBackends"/>: the CPU by default, or Dawn/WebGPU). The bound weights of [k_loaded, N) stay resident: a later
/// tail of the same revision at k &gt;= k_loaded runs on them without rebinding; a tail at k &lt; k_loaded or of another revision
/// rebinds [k, N) whole (what X-SplitCompute-Resident tells the planner).
/// </summary>
public sealed class TailRunner : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Func<Gpt2Weights, ILayerRangeBackend> _createBackend;
    private readonly Func<BertCpuEncoder, ILayerRangeBackend> _createEncoderBackend;
    private (TailResidency Residency, IDisposable Weights, ILayerRangeBackend Backend)? _loaded;

    public TailRunner() : this(TailBackends.Cpu)
    {
    }

    /// <param name="createBackend">Makes the backend for newly bound weights (it must not take ownership of them).</param>
    /// <param name="createEncoderBackend">The same for a BERT-family encoder's bound tail (null: the CPU, the encoder itself).</param>
    public TailRunner(Func<Gpt2Weights, ILayerRangeBackend> createBackend, Func<BertCpuEncoder, ILayerRangeBackend>? createEncoderBackend = null)
    {
        ArgumentNullException.ThrowIfNull(createBackend);
        _createBackend = createBackend;
        _createEncoderBackend = createEncoderBackend ?? TailBackends.CpuEncoder;
    }

    /// <summary>The name of the backend of the weights bound now ("cpu", "webgpu"), or null before the first run.</summary>
    public string? BackendName
    {
        get
        {
            lock (_gate) return _loaded?.Backend.Name;
        }
    }

    /// <summary>SHA-256 hashes of the shards whose weights are bound now (layers [k_loaded, N) and the final norm); empty before the first run.</summary>
    public IReadOnlyList<string> ResidentShards
    {
        get
        {
            lock (_gate) return _loaded?.Residency.Shards ?? [];
        }
    }

    /// <summary>The first layer of the bound weights of this model revision, or null when none are bound.</summary>
    public int? ResidentFrom(string model, string revision)
    {
        lock (_gate) return _loaded is { } l && l.Residency.Model == model && l.Residency.Revision == revision ? l.Residency.FirstLayer : null;
    }

    /// <summary>Runs the tail on verified shards.</summary>
    public float[][] Run(HiddenStateFrame frame, IReadOnlyList<string> shardPaths) => RunMeasured(frame, shardPaths).Embeddings;

    /// <summary>Runs the tail on verified shards, and says what it loaded.</summary>
    public TailRun RunMeasured(HiddenStateFrame frame, IReadOnlyList<string> shardPaths) =>
        TryRunMeasured(frame, shardPaths, Verified, out var run) ? run : throw new InvalidOperationException("verified shards were refused");

    /// <summary>
    /// Runs the tail on shards whose SHA-256 check may still be running (<see cref="Shards.ShardLease.Verified"/>): the weights
    /// load meanwhile (<see cref="VerifiedLoad"/>), and the tail runs only once the check passed. False, with nothing run and
    /// nothing kept (not even the backend already loaded for this revision and k, which may read those files), when it failed.
    /// </summary>
    public bool TryRun(HiddenStateFrame frame, IReadOnlyList<string> shardPaths, Task<bool> verified, [NotNullWhen(true)] out float[][]? embeddings)
    {
        var ran = TryRunMeasured(frame, shardPaths, verified, out var run);
        embeddings = run?.Embeddings;
        return ran;
    }

    /// <summary>
    /// As the other overload, with what the run loaded and how long loading and compute took, each measured apart. What fails
    /// outside this code (the shard files, their format, the device, memory) is an <see cref="EdgeFailureException"/>, and the
    /// backend is dropped so that the next tail starts afresh: a lost device is never reused.
    /// </summary>
    public bool TryRunMeasured(HiddenStateFrame frame, IReadOnlyList<string> shardPaths, Task<bool> verified, [NotNullWhen(true)] out TailRun? run)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(verified);
        var manifest = frame.Manifest ?? throw new ArgumentException("a hidden-state frame carries a manifest", nameof(frame));
        lock (_gate)  // one tail at a time: a request for another revision or k must not release weights in use
        {
            try
            {
                return TryRunLocked(frame, manifest, shardPaths, verified, out run);
            }
            catch (Exception ex) when (IsExternal(ex))
            {
                Release();
                throw EdgeFailureException.From(ex);
            }
        }
    }

    /// <summary>Failures of what the tail depends on, as opposed to bugs in it (which propagate as they are).</summary>
    private static bool IsExternal(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or ModelFormatException or WebGpuException or DllNotFoundException or OutOfMemoryException;

    private bool TryRunLocked(HiddenStateFrame frame, ShardManifest manifest, IReadOnlyList<string> shardPaths, Task<bool> verified,
        [NotNullWhen(true)] out TailRun? run)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (backend, loadedBytes) = Backend(manifest, frame.LayersDone, shardPaths, verified);
        var loadMs = clock.Elapsed.TotalMilliseconds;
        if (backend is null)
        {
            run = null;
            return false;
        }
        clock.Restart();
        var embeddings = Compute(frame, backend);
        run = new TailRun(embeddings, loadedBytes > 0 ? loadMs : 0, loadedBytes, clock.Elapsed.TotalMilliseconds);
        return true;
    }

    private static readonly Task<bool> Verified = Task.FromResult(true);

    private static float[][] Compute(HiddenStateFrame frame, ILayerRangeBackend backend)
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
        return Pooler.Pool(hidden, Enum.Parse<Pooling>(frame.Pooling.ToString()), frame.PoolFrom);  // the two enums share their names
    }

    /// <summary>The backend to run [k, N) on, and the weight bytes bound for it (0 when it was resident); null when a hash failed.</summary>
    private (ILayerRangeBackend? Backend, long LoadedBytes) Backend(ShardManifest manifest, int k, IReadOnlyList<string> shardPaths, Task<bool> verified)
    {
        if (_loaded is { } loaded && loaded.Residency.Covers(manifest, k))
        {
            if (verified.GetAwaiter().GetResult()) return (loaded.Backend, 0);
            Release();
            return (null, 0);
        }
        var residency = TailResidency.Of(manifest, k);
        var label = $"shard cache for {residency.Label(manifest.NLayer)}";
        if (!manifest.IsGpt2)
        {
            Release();
            if (VerifiedLoad.Load(() => EncoderTail.Bind(label, shardPaths, manifest, k), _createEncoderBackend, verified) is not { } tail) return (null, 0);
            _loaded = (residency, tail.Weights, tail.Backend);
            return (tail.Backend, manifest.TailEntries.Sum(s => s.Bytes));
        }
        // The tail never embeds, so vocabulary size and positions do not matter; 1 keeps the config valid.
        var config = new Gpt2Config(1, 1, manifest.NEmbd, manifest.NLayer, manifest.NHead, (float)manifest.LayerNormEpsilon, "gelu_new");
        // Free the old weights first: two tails' weights at once may not fit the device.
        Release();
        if (VerifiedLoad.Load(label, shardPaths, config, k.., finalNorm: true, _createBackend, verified) is not { } load)
            return (null, 0);
        _loaded = (residency, load.Weights, load.Backend);
        return (load.Backend, manifest.TailEntries.Sum(s => s.Bytes));
    }

    /// <summary>Drops the loaded backend so the next tail starts afresh (<see cref="TryRunMeasured"/> does so itself after a failure).</summary>
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
