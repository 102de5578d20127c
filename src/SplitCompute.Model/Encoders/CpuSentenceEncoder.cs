using System.Text.Json;
using SplitCompute.Model.Forward;
using SplitCompute.Tokenization.Bert;

namespace SplitCompute.Model.Encoders;

/// <summary>
/// A sentence-transformers model directory run whole on the CPU (issue 22): prompt, tokenizer (WordPiece or RoBERTa BPE), the encoder, pooling, normalisation,
/// exactly as SentenceTransformer.encode does it. The reference answer the split paths are compared with.
/// </summary>
public sealed class CpuSentenceEncoder : IDisposable
{
    private readonly BertCpuEncoder _encoder;

    private CpuSentenceEncoder(SentenceTransformerLayout layout, EncoderVocabulary vocabulary, BertCpuEncoder encoder) =>
        (Layout, Vocabulary, _encoder) = (layout, vocabulary, encoder);

    public SentenceTransformerLayout Layout { get; }

    /// <summary>The tokenizer and where it came from (vocab.txt, tokenizer.json, or vocab.json + merges.txt).</summary>
    public EncoderVocabulary Vocabulary { get; }

    public IEncoderTokenizer Tokenizer => Vocabulary.Tokenizer;

    /// <summary>The encoder itself, for callers that run its layer ranges (the CLI's split passes).</summary>
    public BertCpuEncoder Backend => _encoder;

    /// <summary>The model's pooling in the layer-range API's terms.</summary>
    public Pooling Pooling => Layout.Pooling.ToPooling();

    /// <summary>[CLS] prompt + text [SEP], cut to max_seq_length keeping [SEP] (the ids <see cref="Encode"/> runs on).</summary>
    public int[] Tokenize(string text, string? promptName = null) => Tokenizer.Encode(PromptText(promptName) + text, Layout.MaxSequenceLength).Ids;

    public static CpuSentenceEncoder Load(string directory)
    {
        var layout = SentenceTransformerLayout.Load(directory);
        var vocabulary = EncoderVocabulary.Load(directory);
        var tokenizer = vocabulary.Tokenizer;
        if (tokenizer.VocabularySize != layout.Config.VocabSize)
            throw new InvalidDataException($"{vocabulary.Source}: {tokenizer.VocabularySize} tokens ({tokenizer.Scheme}), but config.json's vocab_size is {layout.Config.VocabSize}");
        return new CpuSentenceEncoder(layout, vocabulary, BertCpuEncoder.Load(directory, layout.Config));
    }

    /// <summary>
    /// One embedding per text. <paramref name="promptName"/> picks one of the model's prompts (null: its default prompt, if any); the
    /// prompt is prefixed to the text, and when the model pools without it, its [CLS] + prompt tokens are left out of mean/max.
    /// </summary>
    public float[][] Encode(IReadOnlyList<string> texts, string? promptName = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var prompt = PromptText(promptName);
        var ids = texts.Select(t => Tokenizer.Encode(prompt + t, Layout.MaxSequenceLength).Ids).ToArray();
        var excluded = PoolingSkips(promptName);
        var state = _encoder.Embed(ids);
        _encoder.RunLayers(state, 0, Layout.Config.NumLayers);
        return _encoder.Pool(state, Layout.Pooling, Layout.Normalize, excluded);
    }

    /// <summary>
    /// Leading positions pooling leaves out with prompt <paramref name="promptName"/> (null: the default): sentence-transformers'
    /// prompt_length, the prompt's own encoding less its [SEP] ([CLS] + its pieces), when the model pools without its prompt; else 0.
    /// </summary>
    public int PoolingSkips(string? promptName = null)
    {
        var prompt = PromptText(promptName);
        return prompt.Length == 0 || Layout.PoolingIncludesPrompt ? 0 : Tokenizer.Encode(prompt, Layout.MaxSequenceLength).Ids.Length - 1;
    }

    /// <summary>The text of prompt <paramref name="name"/> (null: the model's default prompt; "" when it has none).</summary>
    public string PromptText(string? name)
    {
        name ??= Layout.DefaultPromptName;
        if (name is null) return "";
        return Layout.Prompts.TryGetValue(name, out var text) ? text
            : throw new ArgumentException($"the model has no prompt \"{name}\" (it has: {(Layout.Prompts.Count == 0 ? "none" : string.Join(", ", Layout.Prompts.Keys))})", nameof(name));
    }

    public void Dispose() => _encoder.Dispose();
}
