namespace SplitCompute.Protocol.Embeddings;

/// <summary>Bounds on one embeddings request, checked while parsing so an oversized body never becomes a large allocation.</summary>
public sealed record EmbeddingRequestLimits(int MaxInputs = 256, int MaxTextLength = 65_536, int MaxIdsPerSequence = 8_192)
{
    public static EmbeddingRequestLimits Default { get; } = new();
}
