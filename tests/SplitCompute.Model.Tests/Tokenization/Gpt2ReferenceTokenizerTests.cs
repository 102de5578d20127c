using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.ML.Tokenizers;
using Microsoft.FSharp.Core;

namespace SplitCompute.Model.Tests.Tokenization;

/// <summary>
/// Our GPT-2 tokenizer against Microsoft.ML.Tokenizers (<see cref="ReferenceTokenizers"/>): the same ids on every fixture case and
/// on generated text. Two genuine differences are pinned by their own tests below, not filtered out of the others: lone UTF-16
/// surrogates, and the "&lt;|endoftext|&gt;" literal for tiktoken. Globalization plays no part: the tests run with
/// InvariantGlobalization=true, as the product does; GPT-2 has no normalisation step, and the pre-tokenizers' \p{L}, \p{N} and \s
/// come from the runtime's own Unicode tables, not ICU (checked: the same ids, and the same two differences, with ICU and tr-TR).
/// </summary>
public sealed class Gpt2ReferenceTokenizerTests
{
    private const int Seed = 20_261_207;

    [Fact]
    public void The_comparison_runs_in_globalization_invariant_mode_as_the_product_does() =>
        Assert.True(AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant) && invariant);

    [Theory]
    [MemberData(nameof(Gpt2TokenizerCasesTests.CaseIndices), MemberType = typeof(Gpt2TokenizerCasesTests))]
    public void Every_fixture_case_has_the_same_ids_in_both_libraries(int index, string preview)
    {
        _ = preview;
        var testCase = Gpt2TestData.Cases[index];
        Assert.Equal(testCase.Ids, Gpt2TestData.Tokenizer.Encode(testCase.Text));
        foreach (var (name, reference) in ReferenceTokenizers.All)
            Assert.True(testCase.Ids.SequenceEqual(reference.EncodeToIds(testCase.Text)), Mismatch(name, testCase.Text, reference));
    }

    [Fact]
    public void Generated_unicode_whitespace_and_punctuation_encode_identically()
    {
        var property = Prop.ForAll(GeneratedText.Text.ToArbitrary(), AssertSameIds);
        var seeded = FsCheck.Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(Seed), FSharpOption<int>.None)));
        Check.One(seeded, property);
    }

    [Fact]
    public void A_few_thousand_random_strings_encode_identically()
    {
        var random = new Random(Seed);
        for (var i = 0; i < 3000; i++) AssertSameIds(GeneratedText.RandomScalars(random));
        for (var i = 0; i < 2000; i++) AssertSameIds(Gpt2TestData.RandomText(random, random.Next(1, 60)));
    }

    /// <summary>
    /// Difference 1. Ours encodes words with .NET's UTF-8 encoder, which replaces an unpaired surrogate by U+FFFD (token 4210),
    /// as OpenAI's tiktoken does in Python (it re-decodes such text with errors="replace"); Hugging Face's tokenizers cannot take
    /// one at all (Rust strings are valid UTF-8). The library's own encoder (Helpers.EncodeToUtf8, used by TiktokenTokenizer and
    /// BpeTokenizer) writes the code unit's three bytes as though it were a scalar value (U+D800 -> ED A0 80: not valid UTF-8),
    /// which become byte tokens 169 (0xED), 254 (0xA0) and 222 (0x80), or 108 (0xB0) for U+DC00's second byte.
    /// (The cases are built here, not in [InlineData]: xUnit's serialisation of test data replaces lone surrogates.)
    /// </summary>
    [Fact]
    public void A_lone_surrogate_is_U_FFFD_for_us_and_its_code_units_bytes_for_the_library()
    {
        (string Text, int[] Ours, int[] Library)[] cases =
        [
            ("\ud800", [4210], [169, 254, 222]),
            ("a\udc00b", [64, 4210, 65], [64, 169, 108, 222, 65]),
        ];
        foreach (var (text, ours, library) in cases)
        {
            Assert.Equal(ours, Gpt2TestData.Tokenizer.Encode(text));
            Assert.Equal(Gpt2TestData.Tokenizer.Encode(text.Replace(text.First(char.IsSurrogate), '\uFFFD')), ours);
            foreach (var (name, reference) in ReferenceTokenizers.All)
                Assert.True(library.SequenceEqual(reference.EncodeToIds(text)), Mismatch(name, text, reference));
        }
    }

    /// <summary>
    /// Difference 2, tiktoken only: TiktokenTokenizer.CreateForModel("gpt2") takes "&lt;|endoftext|&gt;" in text as its special
    /// token 50256 (the library has no counterpart of tiktoken's disallowed_special). Ours encodes it as text, as the fixture's
    /// Hugging Face tokenizer built from the vocabulary files does, so user text cannot inject it; the BPE reference, given no
    /// special tokens, agrees with us. The library keeps special tokens only as pre-seeded entries of its 8192-word LRU cache
    /// (TiktokenTokenizer.CacheSpecialTokensEncoding): once 8192 other words have been encoded the entry is evicted and the
    /// literal is encoded as text after all, as ours does. Generated text never contains the literal, so the shared reference's
    /// cache history cannot matter to the other tests.
    /// </summary>
    [Fact]
    public void The_end_of_text_literal_is_text_for_us_and_the_special_token_for_a_fresh_tiktoken()
    {
        const string text = "a<|endoftext|>b";
        var ours = Gpt2TestData.Tokenizer.Encode(text);
        Assert.Equal([64, 27, 91, 437, 1659, 5239, 91, 29, 65], ours);
        Assert.Equal(ours, ReferenceTokenizers.FixtureBpe.EncodeToIds(text));

        var fresh = TiktokenTokenizer.CreateForModel("gpt2");
        Assert.Equal([64, 50256, 65], fresh.EncodeToIds(text));
        for (var i = 0; i < 2 * 8192; i++) fresh.EncodeToIds(UncachedWord(i));
        Assert.Equal(ours, fresh.EncodeToIds(text));
    }

    /// <summary>A distinct word per number that is no single token (those bypass the cache): "qxaaaa", "qxaaab", ...</summary>
    private static string UncachedWord(int number)
    {
        var letters = new char[4];
        for (var k = 3; k >= 0; k--, number /= 16) letters[k] = (char)('a' + number % 16);
        return "qx" + new string(letters);
    }

    private static void AssertSameIds(string text)
    {
        var ours = Gpt2TestData.Tokenizer.Encode(text);
        foreach (var (name, reference) in ReferenceTokenizers.All)
        {
            if (!ours.SequenceEqual(reference.EncodeToIds(text)))
                Assert.Fail($"{Mismatch(name, text, reference)}; ours [{string.Join(", ", ours)}]");
        }
    }

    private static string Mismatch(string name, string text, Tokenizer reference) =>
        $"{name} differs on {JsonSerializer.Serialize(text)}: [{string.Join(", ", reference.EncodeToIds(text))}]";
}
