namespace SplitCompute.Protocol.Frames;

/// <summary>What a frame's tensor is. Wire spelling: "hidden", "embeddings".</summary>
public enum FrameKind
{
    /// <summary>The residual stream after blocks [0, k): shape [B, T, C], before the final layer norm.</summary>
    Hidden,

    /// <summary>Finished embeddings (all n blocks, final norm, pooling): shape [B, C]; only with k == n.</summary>
    Embeddings,
}
