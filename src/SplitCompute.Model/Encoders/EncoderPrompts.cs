namespace SplitCompute.Model.Encoders;

/// <summary>
/// A sentence encoder's prompts (config_sentence_transformers.json, e.g. E5's "query: " / "passage: "), the one used when a request
/// names none, and whether pooling counts the prompt's tokens (1_Pooling's include_prompt).
/// </summary>
public sealed record EncoderPrompts(IReadOnlyDictionary<string, string> Prompts, string? DefaultPromptName = null, bool IncludePrompt = true)
{
    public static EncoderPrompts None { get; } = new(new Dictionary<string, string>());
}
