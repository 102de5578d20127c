using SplitCompute.Model.Encoders;
using SplitCompute.Testing;
using SplitCompute.Tokenization;
using SplitCompute.Tokenization.Bert;

namespace SplitCompute.Model.Tests.Tokenization;

/// <summary>
/// RoBERTa's tokenizer (issue 22): GPT-2's byte-level BPE (checked against Hugging Face's GPT-2 outputs elsewhere) over the model's
/// vocab.json and merges.txt, between &lt;s&gt; and &lt;/s&gt; read from vocab.json; truncation keeps &lt;/s&gt;; a sentence encoder directory
/// with vocab.json + merges.txt is tokenized this way end to end.
/// </summary>
public sealed class RobertaTokenizerTests : IDisposable
{
    private static readonly string[] Texts = ["Hello, world!", " leading space", "Naïve café 北京 🙂", "tabs\tand\nnewlines", "<mask> stays text"];
    private readonly TempDirectory _dir = new();

    public RobertaTokenizerTests() => RobertaTestVocabulary.Write(_dir.Path);

    private RobertaTokenizer Tokenizer => RobertaTokenizer.FromFiles(_dir.File("vocab.json"), _dir.File("merges.txt"));

    [Fact]
    public void A_text_is_gpt2s_pieces_in_the_models_ids_between_start_and_end()
    {
        var roberta = Tokenizer;
        var gpt2 = Gpt2Tokenizer.CreateDefault();
        Assert.Equal(RobertaTestVocabulary.VocabularySize, roberta.VocabularySize);
        foreach (var text in Texts)
        {
            int[] expected = [0, .. gpt2.Encode(text).Select(id => id + RobertaTestVocabulary.Shift), 2];
            Assert.Equal(expected, roberta.Encode(text).Ids);
        }
        Assert.Equal([0, 2], roberta.Encode("").Ids);
    }

    [Fact]
    public void Truncation_keeps_the_end_marker_and_says_so()
    {
        var full = Tokenizer.Encode("one two three four five six");
        var cut = Tokenizer.Encode("one two three four five six", maxTokens: 4);
        Assert.True(cut.Truncated);
        Assert.False(full.Truncated);
        Assert.Equal([.. full.Ids.Take(3), 2], cut.Ids);
    }

    [Fact]
    public void A_vocabulary_without_its_start_token_is_refused_naming_the_file()
    {
        File.WriteAllText(_dir.File("vocab.json"), File.ReadAllText(_dir.File("vocab.json")).Replace("\"<s>\":0,", "", StringComparison.Ordinal));
        var refused = Assert.Throws<TokenizerFormatException>(() => Tokenizer);
        Assert.Contains("vocab.json", refused.Message, StringComparison.Ordinal);
        Assert.Contains("<s>", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sentence_encoder_with_vocab_json_and_merges_is_tokenized_with_robertas_bpe_and_its_prompt()
    {
        var tiny = EncoderPreset.ByName("bert-tiny");
        var preset = tiny with
        {
            Config = tiny.Config with { ModelType = "roberta", VocabSize = RobertaTestVocabulary.VocabularySize, MaxPositions = 514, PadTokenId = 1, TypeVocabSize = 1 },
        };
        RandomEncoderWriter.Write(_dir.Path, preset, seed: 4, new EncoderPrompts(new Dictionary<string, string> { ["query"] = "query: " }, "query", IncludePrompt: false));
        File.Delete(_dir.File("vocab.txt"));  // RoBERTa models ship vocab.json + merges.txt
        using var encoder = CpuSentenceEncoder.Load(_dir.Path);
        Assert.IsType<RobertaTokenizer>(encoder.Tokenizer);
        var gpt2 = Gpt2Tokenizer.CreateDefault();
        int[] expected = [0, .. gpt2.Encode("query: Hello").Select(id => id + RobertaTestVocabulary.Shift), 2];
        Assert.Equal(expected, encoder.Tokenize("Hello"));
        // <s> + "query" + ":" + " " (the prompt alone ends in a space piece), as sentence-transformers counts prompt_length.
        Assert.Equal(encoder.Tokenizer.Encode("query: ").Ids.Length - 1, encoder.PoolingSkips());
        var embedding = Assert.Single(encoder.Encode(["Hello"]));
        Assert.All(embedding, v => Assert.True(float.IsFinite(v)));
    }

    public void Dispose() => _dir.Dispose();
}
