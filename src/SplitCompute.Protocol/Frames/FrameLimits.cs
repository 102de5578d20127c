namespace SplitCompute.Protocol.Frames;

/// <summary>
/// Bounds a reader enforces before allocating anything, so a hostile or corrupt frame cannot make it allocate
/// absurd memory. The defaults fit GPT-2 (all sizes) with generous batches.
/// </summary>
public sealed record FrameLimits
{
    public static FrameLimits Default { get; } = new();

    /// <summary>JSON header size; a 1024-layer manifest is about 0.4 MiB.</summary>
    public long MaxHeaderBytes { get; init; } = 1L << 20;

    /// <summary>Tensor bytes after the header.</summary>
    public long MaxPayloadBytes { get; init; } = 512L << 20;

    public int MaxBatchSize { get; init; } = 4096;

    /// <summary>Bounds T, and lengths[b] of embeddings frames.</summary>
    public int MaxSequenceLength { get; init; } = 65536;

    public int MaxChannels { get; init; } = 65536;

    /// <summary>Bounds n.</summary>
    public int MaxLayers { get; init; } = Manifests.ShardManifest.MaxLayers;
}
