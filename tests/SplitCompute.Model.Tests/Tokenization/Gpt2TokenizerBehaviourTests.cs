using System.Text;
using SplitCompute.Tokenization;

namespace SplitCompute.Model.Tests.Tokenization;

public sealed class Gpt2TokenizerBehaviourTests
{
    private static Gpt2Tokenizer Fresh(int cacheCapacity = Gpt2Tokenizer.DefaultCacheCapacity)
    {
        var vocab = File.ReadAllBytes(Path.Combine(Gpt2TestData.VocabDirectory, "encoder.json"));
        using var merges = new StreamReader(Path.Combine(Gpt2TestData.VocabDirectory, "vocab.bpe"));
        return Gpt2Tokenizer.Create(vocab, "encoder.json", merges, "vocab.bpe", cacheCapacity);
    }

    [Fact]
    public void HelloWorld() => Assert.Equal([15496, 995], Gpt2TestData.Tokenizer.Encode("Hello world"));

    [Fact]
    public void EmptyTextHasNoTokens()
    {
        Assert.Empty(Gpt2TestData.Tokenizer.Encode(""));
        Assert.Equal("", Gpt2TestData.Tokenizer.Decode([]));
    }

    [Fact]
    public void EndOfTextInTextIsNotTheSpecialToken()
    {
        var ids = Gpt2TestData.Tokenizer.Encode("<|endoftext|>");
        Assert.DoesNotContain(50256, ids);
        Assert.Equal("<|endoftext|>", Gpt2TestData.Tokenizer.Decode(ids));
        Assert.Equal("<|endoftext|>", Gpt2TestData.Tokenizer.Decode([50256]));
    }

    [Theory]
    [InlineData(50257)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void DecodingAnUnknownIdNamesIt(int id)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2TestData.Tokenizer.Decode([15496, id]));
        Assert.Contains(id.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Equal(id, ex.ActualValue);
    }

    [Fact]
    public void DecodingHalfACharacterGivesReplacementCharacter()
    {
        // "日" is 3 UTF-8 bytes; its first byte alone is not valid UTF-8.
        var firstByteToken = Gpt2TestData.Tokenizer.Encode("日")[0];
        Assert.Equal("\uFFFD", Gpt2TestData.Tokenizer.Decode([firstByteToken]));
    }

    [Fact]
    public void RandomTextRoundTrips()
    {
        var random = new Random(1234);
        for (var i = 0; i < 200; i++)
        {
            var text = Gpt2TestData.RandomText(random, random.Next(1, 60));
            Assert.Equal(text, Gpt2TestData.Tokenizer.Decode(Gpt2TestData.Tokenizer.Encode(text)));
        }
    }

    [Fact]
    public void EveryByteValueRoundTrips()
    {
        var text = new string(Enumerable.Range(0, 0x800).Select(c => (char)c).ToArray());
        Assert.Equal(text, Gpt2TestData.Tokenizer.Decode(Gpt2TestData.Tokenizer.Encode(text)));
    }

    [Fact]
    public void ScanAndHeapMergesAgree()
    {
        var merger = Gpt2TestData.Tokenizer.Merger;
        var random = new Random(42);
        for (var i = 0; i < 400; i++)
        {
            // Spaces removed so words reach past the scan limit; both strategies are run on every length.
            var word = Gpt2TestData.RandomText(random, random.Next(1, i % 4 == 0 ? 120 : 12)).Replace(" ", "", StringComparison.Ordinal);
            var utf8 = Encoding.UTF8.GetBytes(word);

            var scan = new int[utf8.Length];
            merger.SpellBytes(utf8, scan);
            var scanCount = merger.MergeByScan(scan);
            var heap = new int[utf8.Length];
            merger.SpellBytes(utf8, heap);
            var heapCount = merger.MergeByHeap(heap);

            Assert.Equal(scan[..scanCount], heap[..heapCount]);
        }
    }

    [Fact]
    public void VeryLongWordEncodesQuicklyAndRoundTrips()
    {
        // 200k letters with no space: one pre-token, which must not take quadratic time.
        var random = new Random(7);
        var text = new string(Enumerable.Range(0, 200_000).Select(_ => (char)('a' + random.Next(26))).ToArray());
        var ids = Gpt2TestData.Tokenizer.Encode(text);
        Assert.InRange(ids.Length, 1, text.Length);
        Assert.Equal(text, Gpt2TestData.Tokenizer.Decode(ids));
    }

    [Fact]
    public void ConcurrentEncodingMatchesSequential()
    {
        var random = new Random(99);
        var texts = Enumerable.Range(0, 400).Select(_ => Gpt2TestData.RandomText(random, random.Next(1, 80))).ToArray();
        var expected = texts.Select(Fresh().Encode).ToArray();

        // A small cache makes the threads race through additions and resets as well as hits.
        foreach (var shared in new[] { Fresh(), Fresh(cacheCapacity: 64) })
        {
            var results = new int[8][][];
            Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
            {
                var mine = new int[texts.Length][];
                for (var k = 0; k < texts.Length; k++)
                {
                    var index = (k * 7 + worker * 13) % texts.Length;
                    mine[index] = shared.Encode(texts[index]);
                }
                results[worker] = mine;
            });
            foreach (var result in results)
            {
                for (var k = 0; k < texts.Length; k++) Assert.Equal(expected[k], result[k]);
            }
        }
    }

    [Fact]
    public void CacheStaysWithinItsCapacity()
    {
        var tokenizer = Fresh(cacheCapacity: 50);
        for (var i = 0; i < 1000; i++)
        {
            tokenizer.Encode($"word{i} other{i * 3}");
            Assert.InRange(tokenizer.Cache.Count, 0, 50);
        }
    }

    [Fact]
    public void CacheDoesNotChangeResults()
    {
        var tokenizer = Fresh();
        const string Text = "The cache must give the same ids the second time: café 😀 1234.";
        var cold = tokenizer.Encode(Text);
        Assert.True(tokenizer.Cache.Count > 0);
        Assert.Equal(cold, tokenizer.Encode(Text));
        tokenizer.ClearCache();
        Assert.Equal(0, tokenizer.Cache.Count);
        Assert.Equal(cold, tokenizer.Encode(Text));
    }
}
