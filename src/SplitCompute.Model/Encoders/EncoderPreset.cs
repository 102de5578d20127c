namespace SplitCompute.Model.Encoders;

/// <summary>
/// The shapes of real sentence encoders (issue 22), for seeded models with no hub to download from: their config.json fields,
/// their pooling and normalisation, and their max_seq_length.
/// </summary>
public sealed record EncoderPreset(string Name, BertConfig Config, SentencePooling Pooling, bool Normalize, int MaxSequenceLength)
{
    private static BertConfig Bert(int hidden, int layers, int heads) =>
        new("bert", VocabSize: 30_522, HiddenSize: hidden, NumLayers: layers, NumHeads: heads, IntermediateSize: 4 * hidden, MaxPositions: 512,
            TypeVocabSize: 2, LayerNormEpsilon: 1e-12f, PadTokenId: 0);

    public static IReadOnlyList<EncoderPreset> All { get; } =
    [
        new("bert-tiny", Bert(128, 2, 2), SentencePooling.Mean, Normalize: true, MaxSequenceLength: 512),     // google/bert_uncased_L-2_H-128_A-2: demos, tests
        new("minilm-l6", Bert(384, 6, 12), SentencePooling.Mean, Normalize: true, MaxSequenceLength: 256),   // all-MiniLM-L6-v2
        new("bge-small", Bert(384, 12, 12), SentencePooling.Cls, Normalize: true, MaxSequenceLength: 512),   // BAAI/bge-small-en-v1.5
        new("bge-base", Bert(768, 12, 12), SentencePooling.Cls, Normalize: true, MaxSequenceLength: 512),    // BAAI/bge-base-en-v1.5
        new("bge-large", Bert(1024, 24, 16), SentencePooling.Cls, Normalize: true, MaxSequenceLength: 512),  // BAAI/bge-large-en-v1.5
    ];

    public static EncoderPreset ByName(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown encoder preset \"{name}\" (known: {string.Join(", ", All.Select(p => p.Name))})", nameof(name));
}
