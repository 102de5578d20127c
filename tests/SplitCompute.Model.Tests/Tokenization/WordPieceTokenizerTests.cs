using System.Security.Cryptography;
using System.Text.Json;
using SplitCompute.Tokenization;
using SplitCompute.Tokenization.Bert;

namespace SplitCompute.Model.Tests.Tokenization;

/// <summary>
/// BERT's WordPiece tokenizer (issue 22) with BERT-Base, Uncased's vocabulary, in this product's invariant-globalization mode:
/// the ids BERT's own algorithm gives (golden cases written by tools/bert/make_golden_cases.py from tools/bert/reference_tokenize.py,
/// BERT's tokenization.py re-stated on Python's Unicode tables), accents stripped without ICU, truncation and pairs.
/// </summary>
public sealed class WordPieceTokenizerTests
{
    private static readonly WordPieceTokenizer Bert = WordPieceTokenizer.BertBaseUncased();

    private sealed record GoldenCase(string Text, int[] Ids);

    private static IEnumerable<GoldenCase> Golden()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Fixture("bert", "wordpiece-cases.json")));
        return [.. json.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => new GoldenCase(c.GetProperty("text").GetString()!, [.. c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32())]))];
    }

    [Fact]
    public void Every_golden_case_gets_the_ids_BERTs_own_algorithm_gives()
    {
        var cases = Golden().ToList();
        Assert.True(cases.Count >= 60, $"{cases.Count} golden cases");
        foreach (var c in cases)
        {
            var ids = Bert.Encode(c.Text, maxTokens: 100_000).Ids;
            Assert.True(c.Ids.SequenceEqual(ids), $"'{c.Text}': expected {string.Join(' ', c.Ids)}, got {string.Join(' ', ids)}");
        }
    }

    [Fact]
    public void The_embedded_vocabulary_is_BERT_base_uncased()
    {
        var path = Path.Combine(RepositoryPaths.Root, "src", "SplitCompute.Tokenization", "Data", "bert-base-uncased", "vocab.txt");
        Assert.Equal("07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
        Assert.Equal((30_522, 101, 102, 0, 100), (Bert.VocabularySize, Bert.ClsId, Bert.SepId, Bert.PadId, Bert.UnkId));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "LICENSE")) && File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "NOTICE")));
    }

    [Theory]
    [InlineData("naïve café Ångström", "naive cafe Angstrom")]
    [InlineData("e\u0301cole", "ecole")]
    [InlineData("İstanbul Łódź", "Istanbul Łodz")]  // Ł has no decomposition: BERT keeps it
    [InlineData("한", "\u1112\u1161\u11AB")]          // Hangul syllables become their jamo
    [InlineData("Ω", "Ω")]                            // U+2126 OHM SIGN is canonically U+03A9
    public void Accents_are_stripped_without_ICU(string text, string expected) => Assert.Equal(expected, StripAccents.Apply(text));

    [Fact]
    public void A_word_over_100_characters_is_one_UNK_as_in_BERT()
    {
        var ids = Bert.Encode("ok " + new string('y', 101) + ", fine " + new string('z', 100)).Ids;
        var expected = Bert.Encode("ok").Ids.SkipLast(1).Append(Bert.UnkId).Concat(Bert.Encode(", fine").Ids.Skip(1).SkipLast(1))
            .Concat(Bert.Encode(new string('z', 100)).Ids.Skip(1));
        Assert.Equal(expected, ids);
        Assert.NotEqual(Bert.UnkId, Bert.Encode(new string('z', 100)).Ids[1]);  // 100 characters are still spelled
    }

    [Fact]
    public void Ascii_text_is_not_copied() => Assert.Same("plain ascii", StripAccents.Apply("plain ascii"));

    [Fact]
    public void A_long_text_is_cut_to_the_limit_keeping_its_SEP()
    {
        var text = string.Join(' ', Enumerable.Repeat("embeddings map text to vectors", 40));
        var full = Bert.Encode(text, maxTokens: 100_000);
        var cut = Bert.Encode(text, maxTokens: 16);
        Assert.Equal(16, cut.Ids.Length);
        Assert.True(cut.Truncated);
        Assert.False(full.Truncated);
        Assert.Equal(full.Ids.Take(15), cut.Ids.Take(15));
        Assert.Equal(Bert.SepId, cut.Ids[^1]);
        Assert.All(cut.TokenTypes, t => Assert.Equal(0, t));
    }

    [Fact]
    public void A_pair_has_token_types_0_then_1_and_the_longer_side_is_cut_first()
    {
        var pair = Bert.EncodePair("how do I embed text?", "embeddings map text to vectors.");
        var (a, b) = (Bert.Encode("how do I embed text?").Ids, Bert.Encode("embeddings map text to vectors.").Ids);
        Assert.Equal([.. a, .. b.Skip(1)], pair.Ids);  // [CLS] a [SEP] b [SEP]
        Assert.Equal([.. Enumerable.Repeat(0, a.Length), .. Enumerable.Repeat(1, b.Length - 1)], pair.TokenTypes);

        var longSecond = string.Join(' ', Enumerable.Repeat("vectors", 50));
        var cut = Bert.EncodePair("short question", longSecond, maxTokens: 20);
        Assert.Equal(20, cut.Ids.Length);
        Assert.True(cut.Truncated);
        Assert.Equal(Bert.Encode("short question").Ids, cut.Ids.Take(Array.IndexOf(cut.Ids, Bert.SepId) + 1));  // the short side is whole
        Assert.Equal(Bert.SepId, cut.Ids[^1]);
    }

    [Fact]
    public void A_vocabulary_without_BERTs_special_tokens_is_refused_naming_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vocab-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "hello", "world"]);
        try
        {
            var ex = Assert.Throws<TokenizerFormatException>(() => WordPieceTokenizer.FromFile(path));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains("[CLS]", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Any_text_gives_ids_inside_the_vocabulary_framed_by_CLS_and_SEP()
    {
        var random = new Random(22);
        const string alphabet = "abc XYZ éüñÅ日本한글 .,!?'\"()-—😀\t\n\u0301\u200B\u00AD";
        for (var i = 0; i < 2_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 60)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var ids = Bert.Encode(text).Ids;
            Assert.Equal(Bert.ClsId, ids[0]);
            Assert.Equal(Bert.SepId, ids[^1]);
            Assert.All(ids, id => Assert.InRange(id, 0, Bert.VocabularySize - 1));
        }
    }
}
