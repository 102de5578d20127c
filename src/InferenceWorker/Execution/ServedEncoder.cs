using System.Text.Json;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Shards;
using SplitCompute.Tokenization.Bert;

namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// A BERT-family sentence encoder as the worker serves it (issue 22): its sentence-transformers layout, the tokenizer with the
/// model's default prompt, the CPU encoder, its pooling, and a revision that changes whenever an output could.
/// </summary>
public sealed class ServedEncoder
{
    private ServedEncoder(SentenceTransformerLayout layout, SentenceTokenizer tokenizer, BertCpuEncoder backend, string revision) =>
        (Layout, Tokenizer, Backend, Revision) = (layout, tokenizer, backend, revision);

    public SentenceTransformerLayout Layout { get; }
    public SentenceTokenizer Tokenizer { get; }
    public BertCpuEncoder Backend { get; }
    public string Revision { get; }

    /// <summary>
    /// The text of prompt <paramref name="name"/> (null: the default one, "" when there is none), and how many leading positions
    /// pooling leaves out with it: [CLS] and its pieces when the model pools without its prompt (sentence-transformers'
    /// prompt_length), else 0.
    /// </summary>
    public (string Text, int PoolingSkips) Prompt(string? name)
    {
        name ??= Layout.DefaultPromptName;
        var text = name is null ? "" : Layout.Prompts[name];
        return (text, text.Length == 0 || Layout.PoolingIncludesPrompt ? 0 : Tokenizer.Encode("", text).Length - 1);
    }

    public Pooling Pooling => Layout.Pooling switch
    {
        SentencePooling.Cls => Pooling.Cls,
        SentencePooling.Max => Pooling.Max,
        _ => Pooling.Mean,
    };

    /// <summary>Whether <paramref name="directory"/>'s config.json names a BERT-family model_type.</summary>
    public static bool IsEncoder(string directory) => BertConfig.IsEncoderDirectory(directory);

    public static ServedEncoder Load(string directory)
    {
        if (!File.Exists(Path.Combine(directory, "modules.json")))
            throw new InvalidDataException($"{directory}: a BERT-family encoder is served in sentence-transformers' layout, and modules.json is missing " +
                                           "(save the model with SentenceTransformer.save, or write modules.json and 1_Pooling/config.json)");
        var layout = SentenceTransformerLayout.Load(directory);
        var prompt = layout.DefaultPromptName is { } name ? layout.Prompts[name] : "";
        var vocabulary = EncoderVocabulary.Load(directory);
        var tokenizer = new SentenceTokenizer(vocabulary.Tokenizer, prompt, vocabulary.Bytes, vocabulary.Lowercase);
        if (tokenizer.VocabularySize != layout.Config.VocabSize)
            throw new InvalidDataException($"{vocabulary.Source}: {tokenizer.VocabularySize} word pieces, but config.json's vocab_size is {layout.Config.VocabSize}");
        var backend = BertCpuEncoder.Load(directory, layout.Config);
        return new ServedEncoder(layout, tokenizer, backend, EncoderShardBuilder.RevisionOf(directory));
    }
}
