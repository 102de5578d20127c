namespace SplitCompute.Protocol.Embeddings;

/// <summary>
/// Bounds on one embeddings request, checked while parsing so an oversized body never becomes a large allocation (the body
/// itself is bounded first, by the services' MaxRequestBytes). 2048 inputs is OpenAI's own limit per request.
/// </summary>
public sealed record EmbeddingRequestLimits(int MaxInputs = 2048, int MaxTextLength = 65_536, int MaxIdsPerSequence = 8_192, int MaxDimensions = 65_536)
{
    public static EmbeddingRequestLimits Default { get; } = new();
}
