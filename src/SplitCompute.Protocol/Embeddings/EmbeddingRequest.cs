namespace SplitCompute.Protocol.Embeddings;

/// <summary>
/// An OpenAI-style embeddings request: <c>{"model": "...", "input": string | string[] | int[] | int[][]}</c>.
/// Exactly one of <see cref="Texts"/> and <see cref="TokenIds"/> is set.
/// </summary>
public sealed record EmbeddingRequest(string? Model, IReadOnlyList<string>? Texts, IReadOnlyList<int[]>? TokenIds)
{
    public int Count => Texts?.Count ?? TokenIds!.Count;
}
