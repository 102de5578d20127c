using SplitCompute.Model.Config;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.EdgeRuntime.Tail;

/// <summary>
/// Binds shard files and builds a backend over them while their SHA-256 check is still running elsewhere, and hands the result
/// out only once the check passed: the upload of a shard overlaps its own hash (and the other shards'), yet nothing loaded from
/// a file whose hash does not match is ever run. Such a load is disposed here, whole; so is one whose check failed to finish.
/// </summary>
public static class VerifiedLoad
{
    /// <summary>
    /// The bound weights and their backend, or null when <paramref name="verified"/> came out false (a shard did not match its
    /// hash). A load that throws while the check comes out false is also null: a corrupt file explains the failure, and the
    /// caller fetches the file again instead of reporting it.
    /// </summary>
    /// <param name="label">Names the shard set in error messages.</param>
    /// <param name="createBackend">Makes the backend for the bound weights (it must not take ownership of them).</param>
    public static (Gpt2Weights Weights, ILayerRangeBackend Backend)? Load(string label, IReadOnlyList<string> shardPaths, Gpt2Config config, Range layers,
        bool finalNorm, Func<Gpt2Weights, ILayerRangeBackend> createBackend, Task<bool> verified) =>
        Load(() => Gpt2Weights.Bind(Checkpoint.OpenFiles(label, shardPaths), config, layers, embeddings: false, finalNorm), createBackend, verified);

    /// <summary>As the GPT-2 overload, for whatever <paramref name="bind"/> binds (an encoder's tail binds itself: its backend may be the weights).</summary>
    public static (TWeights Weights, ILayerRangeBackend Backend)? Load<TWeights>(Func<TWeights> bind, Func<TWeights, ILayerRangeBackend> createBackend, Task<bool> verified)
        where TWeights : class, IDisposable
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(createBackend);
        ArgumentNullException.ThrowIfNull(verified);
        TWeights? weights = null;
        ILayerRangeBackend? backend = null;
        try
        {
            weights = bind();
            backend = createBackend(weights);
        }
        catch
        {
            backend?.Dispose();
            weights?.Dispose();
            if (!Passed(verified)) return null;  // the check threw (it is rethrown) or found a corrupt file
            throw;
        }
        try
        {
            if (Passed(verified)) return (weights, backend);
        }
        catch
        {
            Discard(weights, backend);
            throw;
        }
        Discard(weights, backend);  // uploaded from a file that does not match its hash: never run
        return null;
    }

    /// <summary>Waits for the check; its own exception (an unreadable file, a cancellation) propagates as itself.</summary>
    private static bool Passed(Task<bool> verified) => verified.GetAwaiter().GetResult();

    private static void Discard(IDisposable weights, ILayerRangeBackend backend)
    {
        backend.Dispose();
        weights.Dispose();
    }
}
