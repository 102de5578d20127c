using System.Text.Json.Nodes;
using SplitCompute.Model.Encoders;
using SplitCompute.Testing;
using SplitCompute.Tokenization.Bert;

namespace SplitCompute.Model.Tests.Encoders;

/// <summary>An encoder saved with only its fast tokenizer (tokenizer.json) reads the same WordPiece vocabulary as vocab.txt.</summary>
public sealed class EncoderVocabularyTests : IDisposable
{
    private static readonly string[] Texts = ["Hello, world!", "Naïve café RÉSUMÉ", "北京 is big"];
    private readonly TempDirectory _model = new();

    public EncoderVocabularyTests() => RandomEncoderWriter.Write(_model.Path, EncoderPreset.ByName("bert-tiny"), seed: 4);

    [Fact]
    public void Tokenizer_json_alone_gives_the_same_ids_and_embeddings_as_vocab_txt()
    {
        float[][] expected;
        using (var withVocab = CpuSentenceEncoder.Load(_model.Path)) expected = withVocab.Encode(Texts);
        WriteTokenizerJson(lowercase: true);
        File.Delete(Path.Combine(_model.Path, "vocab.txt"));

        var vocabulary = EncoderVocabulary.Load(_model.Path);
        Assert.EndsWith("tokenizer.json", vocabulary.Source, StringComparison.Ordinal);
        using var fromJson = CpuSentenceEncoder.Load(_model.Path);
        Assert.Equal(expected, fromJson.Encode(Texts));
    }

    [Fact]
    public void A_cased_normalizer_keeps_case_and_accents()
    {
        WriteTokenizerJson(lowercase: false);
        File.Delete(Path.Combine(_model.Path, "vocab.txt"));
        var tokenizer = Assert.IsType<WordPieceTokenizer>(EncoderVocabulary.Load(_model.Path).Tokenizer);
        Assert.Contains(tokenizer.UnkId, tokenizer.Encode("HELLO").Ids);  // the uncased vocabulary has no "HELLO"
    }

    [Fact]
    public void A_non_wordpiece_tokenizer_json_is_refused_by_name()
    {
        File.Delete(Path.Combine(_model.Path, "vocab.txt"));
        File.WriteAllText(Path.Combine(_model.Path, "tokenizer.json"), """{"model": {"type": "BPE", "vocab": {}}}""");
        var error = Assert.Throws<InvalidDataException>(() => EncoderVocabulary.Load(_model.Path));
        Assert.Contains("model.type is not \"WordPiece\"", error.Message, StringComparison.Ordinal);
        File.Delete(Path.Combine(_model.Path, "tokenizer.json"));
        Assert.Contains("no vocab.txt (WordPiece), vocab.json + merges.txt (RoBERTa's BPE), sentencepiece.bpe.model (XLM-R) or tokenizer.json", Assert.Throws<FileNotFoundException>(() => EncoderVocabulary.Load(_model.Path)).Message, StringComparison.Ordinal);
    }

    /// <summary>tokenizer.json as Hugging Face's BertTokenizerFast saves it (the parts that matter here), from vocab.txt.</summary>
    private void WriteTokenizerJson(bool lowercase)
    {
        var vocab = new JsonObject();
        var lines = File.ReadAllLines(Path.Combine(_model.Path, "vocab.txt"));
        for (var i = 0; i < lines.Length; i++) vocab[lines[i]] = i;
        var json = new JsonObject
        {
            ["normalizer"] = new JsonObject { ["type"] = "BertNormalizer", ["lowercase"] = lowercase, ["strip_accents"] = null },
            ["model"] = new JsonObject { ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["max_input_chars_per_word"] = 100, ["vocab"] = vocab },
        };
        File.WriteAllText(Path.Combine(_model.Path, "tokenizer.json"), json.ToJsonString());
    }

    public void Dispose() => _model.Dispose();
}
