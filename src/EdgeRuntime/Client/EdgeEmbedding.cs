using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// What the caller asks of the finished embeddings: OpenAI's <c>dimensions</c> (Matryoshka truncation, then unit length),
/// TEI's <c>normalize</c> (null: the model's default), and for a sentence encoder the prompt to prefix (<c>prompt_name</c>: null,
/// the model's default). Sent with the request, so the worker refuses what the model cannot do
/// exactly as for any OpenAI client; the worker then says in <c>X-SplitCompute-Shaping</c> how to finish the embeddings, and the
/// edge applies that to what it pooled, so a split answer equals the cloud's.
/// </summary>
public sealed record EdgeEmbedding(int? Dimensions = null, bool? Normalize = null, string? PromptName = null)
{
    public static EdgeEmbedding Default { get; } = new();

    /// <summary>
    /// The shaping to apply: the worker's (<paramref name="header"/>), else, from a worker that predates the header, what was asked
    /// (a model's own default normalisation is then unknown, so none).
    /// </summary>
    internal EmbeddingShaping Shaping(string? header) =>
        EmbeddingShaping.TryParse(header, out var told) ? told : new EmbeddingShaping(Dimensions, Normalize ?? Dimensions is not null);

    /// <summary>The request body: <c>model</c> (when set), <c>input</c>, and the fields asked for.</summary>
    internal Dictionary<string, object> Body(string? model, object input)
    {
        var body = new Dictionary<string, object> { ["input"] = input };
        if (model is not null) body["model"] = model;
        if (Dimensions is { } d) body["dimensions"] = d;
        if (Normalize is { } n) body["normalize"] = n;
        if (PromptName is { } prompt) body["prompt_name"] = prompt;
        return body;
    }
}
