using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Shards;
using SplitCompute.Tokenization.Bert;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// A BERT-family sentence encoder as the worker serves it (issue 22): the model run as sentence-transformers does
/// (<see cref="CpuSentenceEncoder"/>: layout, prompts, WordPiece, the CPU encoder, pooling), plus the tokenizer with the model's
/// default prompt and a fingerprint (the gateway forwards token ids only to a matching one), and a revision that changes whenever
/// an output could.
/// </summary>
public sealed class ServedEncoder
{
    private readonly CpuSentenceEncoder _model;

    private ServedEncoder(CpuSentenceEncoder model, SentenceTokenizer tokenizer, string revision) =>
        (_model, Tokenizer, Revision) = (model, tokenizer, revision);

    public SentenceTransformerLayout Layout => _model.Layout;
    public SentenceTokenizer Tokenizer { get; }
    public BertCpuEncoder Backend => _model.Backend;
    public string Revision { get; }
    public Pooling Pooling => _model.Pooling;

    /// <summary>
    /// The text of prompt <paramref name="name"/> (null: the default one, "" when there is none), and how many leading positions
    /// pooling leaves out with it (<see cref="CpuSentenceEncoder.PoolingSkips"/>).
    /// </summary>
    public (string Text, int PoolingSkips) Prompt(string? name) => (_model.PromptText(name), _model.PoolingSkips(name));

    /// <summary>Whether <paramref name="directory"/>'s config.json names a BERT-family model_type.</summary>
    public static bool IsEncoder(string directory) => BertConfig.IsEncoderDirectory(directory);

    public static ServedEncoder Load(string directory)
    {
        if (!File.Exists(Path.Combine(directory, "modules.json")))
            throw new InvalidDataException($"{directory}: a BERT-family encoder is served in sentence-transformers' layout, and modules.json is missing " +
                                           "(save the model with SentenceTransformer.save, or write modules.json and 1_Pooling/config.json)");
        var model = CpuSentenceEncoder.Load(directory);
        var vocabulary = model.Vocabulary;
        var tokenizer = new SentenceTokenizer(vocabulary.Tokenizer, model.PromptText(null), vocabulary.Bytes, vocabulary.Lowercase);
        return new ServedEncoder(model, tokenizer, EncoderShardBuilder.RevisionOf(directory));
    }
}
