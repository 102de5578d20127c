namespace SplitCompute.Protocol.Embeddings;

/// <summary>
/// An OpenAI-style embeddings request: <c>{"model": "...", "input": string | string[] | int[] | int[][]}</c> plus the optional
/// <c>encoding_format</c>, <c>dimensions</c> (OpenAI) and <c>normalize</c>, <c>truncate</c> (text-embeddings-inference).
/// Exactly one of <see cref="Texts"/> and <see cref="TokenIds"/> is set.
/// </summary>
public sealed record EmbeddingRequest(string? Model, IReadOnlyList<string>? Texts, IReadOnlyList<int[]>? TokenIds)
{
    public int Count => Texts?.Count ?? TokenIds!.Count;

    public EncodingFormat EncodingFormat { get; init; } = EncodingFormat.Float;

    /// <summary>Leading dimensions to keep (Matryoshka truncation, then renormalised); null: the model's full width.</summary>
    public int? Dimensions { get; init; }

    /// <summary>Scale each embedding to unit length; null: the model's default (<c>normalize</c> in its embedding settings).</summary>
    public bool? Normalize { get; init; }

    /// <summary>Cut an input longer than the model's limit to that limit instead of refusing it.</summary>
    public bool Truncate { get; init; }

    /// <summary>
    /// One of a sentence encoder's prompts (config_sentence_transformers.json, e.g. E5's "query" / "passage"), prefixed to every
    /// input as sentence-transformers' <c>prompt_name</c> does; null: the model's default prompt, if it has one.
    /// </summary>
    public string? PromptName { get; init; }
}
