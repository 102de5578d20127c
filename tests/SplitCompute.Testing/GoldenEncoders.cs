using SplitCompute.Model.Encoders;

namespace SplitCompute.Testing;

/// <summary>
/// The seeded encoders whose Hugging Face outputs are committed in tests/fixtures/bert/hf-encoders.json (issue 22): written by
/// <see cref="RandomEncoderWriter"/> here, read by sentence-transformers / transformers on the GPU machine
/// (`encoder-parity` benchmark, tools/bert/hf_encoder_goldens.py), and written again by the tests, which first check that the
/// regenerated model.safetensors has the recorded SHA-256 (so these definitions cannot drift from the goldens silently).
/// </summary>
public static class GoldenEncoders
{
    public const ulong Seed = 22;

    private static readonly EncoderPreset Tiny = EncoderPreset.ByName("bert-tiny");

    private static readonly Dictionary<string, string> QueryPassage = new() { ["query"] = "query: ", ["passage"] = "passage: " };

    /// <summary>A sentence encoder to compare whole (tokenizer, encoder, pooling, normalisation), and the prompt to encode with.</summary>
    public sealed record SentenceCase(string Name, EncoderPreset Preset, EncoderPrompts Prompts, string? PromptName);

    public static IReadOnlyList<SentenceCase> Sentences { get; } =
    [
        new("bert-tiny-mean", Tiny, EncoderPrompts.None, null),
        new("bert-tiny-cls-default-prompt", Tiny with { Pooling = SentencePooling.Cls }, new EncoderPrompts(QueryPassage, "query"), null),
        new("bert-tiny-mean-without-prompt", Tiny with { MaxSequenceLength = 24 }, new EncoderPrompts(QueryPassage, IncludePrompt: false), "passage"),
        new("bert-tiny-max-unnormalised", Tiny with { Pooling = SentencePooling.Max, Normalize = false },
            new EncoderPrompts(new Dictionary<string, string> { ["query"] = "Represent this sentence for searching relevant passages: " }, IncludePrompt: false), "query"),
        new("minilm-l6", EncoderPreset.ByName("minilm-l6"), EncoderPrompts.None, null),
    ];

    /// <summary>A RoBERTa-type encoder (position ids offset by the padding index), compared on token ids through its last hidden state.</summary>
    public static EncoderPreset Roberta { get; } = new("roberta-tiny",
        new BertConfig("roberta", VocabSize: 30_522, HiddenSize: 128, NumLayers: 2, NumHeads: 2, IntermediateSize: 512, MaxPositions: 514,
            TypeVocabSize: 1, LayerNormEpsilon: 1e-5f, PadTokenId: 1),
        SentencePooling.Mean, Normalize: false, MaxSequenceLength: 512);

    /// <summary>Token ids the RoBERTa case runs on (right-padded with its pad id 1 in a batch): lengths 7 and 4.</summary>
    public static int[][] RobertaIds { get; } = [[0, 7592, 2088, 1010, 2129, 2024, 2], [0, 4937, 999, 2]];

    public static IReadOnlyList<string> Texts { get; } =
    [
        "Hello, world!",
        "A quick brown fox jumps over the lazy dog.",
        "Naïve café résumé: ÀÉÎÕÜ and ß.",
        "北京是中国的首都。 Tokyo is Japan's capital.",
        "short",
        "The edge runtime downloads the weight shards of layers k to N once, caches them, and runs them on its own GPU through WebGPU, " +
        "so the cloud only computes the embeddings and the first k layers of each request; this sentence is long enough to be truncated.",
        "tabs\tand\nnewlines\r\nand   spaces",
        "emoji 🙂 and symbols © ™ → ∑",
    ];

    public static void Write(string directory, SentenceCase sentence) => RandomEncoderWriter.Write(directory, sentence.Preset, Seed, sentence.Prompts);

    public static void WriteRoberta(string directory) => RandomEncoderWriter.Write(directory, Roberta, Seed);
}
