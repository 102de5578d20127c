using System.Text;
using System.Text.Json;
using SplitCompute.Tokenization;

namespace SplitCompute.Model.Tests.Tokenization;

/// <summary>Shared inputs: the reference vocabulary and cases in tests/fixtures, and small hand-made vocabularies.</summary>
internal static class Gpt2TestData
{
    public static string VocabDirectory => RepositoryPaths.Fixture("gpt2-vocab");

    private static readonly Lazy<Gpt2Tokenizer> SharedTokenizer = new(() => Gpt2Tokenizer.FromDirectory(VocabDirectory));

    /// <summary>One tokenizer for tests that only read; loading the 50k vocabulary takes a moment.</summary>
    public static Gpt2Tokenizer Tokenizer => SharedTokenizer.Value;

    private static readonly Lazy<IReadOnlyList<TokenizerCase>> SharedCases = new(() =>
        JsonSerializer.Deserialize<List<TokenizerCase>>(
            File.ReadAllText(RepositoryPaths.Fixture("tokenizer", "gpt2-cases.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!);

    public static IReadOnlyList<TokenizerCase> Cases => SharedCases.Value;

    /// <summary>A vocabulary with the 256 byte tokens (ids 0..255) followed by <paramref name="extraTokens"/>.</summary>
    public static Dictionary<string, int> ByteVocabulary(params string[] extraTokens)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var b = 0; b < 256; b++) vocab[ByteLevelAlphabet.ByteToChar[b].ToString()] = b;
        foreach (var token in extraTokens) vocab[token] = vocab.Count;
        return vocab;
    }

    public static void WriteVocab(string path, Dictionary<string, int> vocab) =>
        File.WriteAllText(path, JsonSerializer.Serialize(vocab), new UTF8Encoding(false));

    /// <summary>A deterministic mix of words, numbers, punctuation and non-Latin text.</summary>
    public static string RandomText(Random random, int words)
    {
        string[] pool =
        [
            "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "tokenizer", "SplitCompute", "GPT-2",
            "it's", "we'll", "café", "naïve", "日本語", "中文", "😀", "🚀", "Ж", "λ", "1234", "3.14", "—", "“quoted”",
            "\t", "\n", "  ", "!?", "...", "a_b", "x=y+z", "\u00A0", "\u200B", "e\u0301",
        ];
        var builder = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            if (i > 0 && random.Next(4) != 0) builder.Append(' ');
            if (random.Next(10) == 0) builder.Append(random.Next(100_000));
            else builder.Append(pool[random.Next(pool.Length)]);
        }
        return builder.ToString();
    }
}

internal sealed record TokenizerCase(string Text, int[] Ids);
