using SplitCompute.Model.Encoders;

namespace SplitCompute.Testing;

/// <summary>
/// The seeded encoders whose Hugging Face outputs (float64) are committed in tests/fixtures/bert/hf-encoders.json (issue 22): written by
/// <see cref="RandomEncoderWriter"/> here, read by sentence-transformers / transformers on the GPU machine
/// (`encoder-parity` benchmark, tools/bert/hf_encoder_goldens.py), and written again by the tests, which first check that the
/// regenerated model.safetensors has the recorded SHA-256 (so these definitions cannot drift from the goldens silently).
/// </summary>
public static class GoldenEncoders
{
    public const ulong Seed = 22;

    private static readonly EncoderPreset Tiny = EncoderPreset.ByName("bert-tiny");

    private static readonly Dictionary<string, string> QueryPassage = new() { ["query"] = "query: ", ["passage"] = "passage: " };

    /// <summary>
    /// A sentence encoder to compare whole (tokenizer, encoder, pooling, normalisation) and, when <see cref="Stages"/>, at every
    /// stage (the embeddings and each block's output: what a split at any k hands over), and the prompt to encode with.
    /// </summary>
    public sealed record SentenceCase(string Name, EncoderPreset Preset, EncoderPrompts Prompts, string? PromptName, bool Stages = false);

    /// <summary>BERT shapes with a head size that is not 64 and a width that is not a multiple of 128 (issue 22's proof).</summary>
    private static EncoderPreset Odd(string name, int hidden, int heads, int layers, int intermediate, SentencePooling pooling, bool normalize, int maxSequenceLength) =>
        new(name, Tiny.Config with { HiddenSize = hidden, NumHeads = heads, NumLayers = layers, IntermediateSize = intermediate }, pooling, normalize, maxSequenceLength);

    public static IReadOnlyList<SentenceCase> Sentences { get; } =
    [
        // D = 32, C = 96, CLS pooling, normalised, a default prompt.
        new("odd-cls-normalised", Odd("odd-cls", 96, 3, 2, 384, SentencePooling.Cls, normalize: true, 512), new EncoderPrompts(QueryPassage, "query"), null, Stages: true),
        // D = 40, C = 200, I = 600 (not 4C), mean pooling, no Normalize, max_seq_length 24 (truncation), a named prompt left out of pooling.
        new("odd-mean-unnormalised", Odd("odd-mean", 200, 5, 3, 600, SentencePooling.Mean, normalize: false, 24), new EncoderPrompts(QueryPassage, IncludePrompt: false), "passage", Stages: true),
        new("bert-tiny-max-unnormalised", Tiny with { Pooling = SentencePooling.Max, Normalize = false }, EncoderPrompts.None, null),
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
