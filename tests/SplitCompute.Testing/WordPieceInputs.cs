using System.Text.Json;

namespace SplitCompute.Testing;

/// <summary>
/// The WordPiece inputs whose Hugging Face ids are committed in tests/fixtures/bert/hf-encoders.json: every text of the golden
/// cases (tests/fixtures/bert/wordpiece-cases.json) plus texts that name special tokens or need Unicode normalisation, and pairs
/// with longest_first truncation.
/// </summary>
public static class WordPieceInputs
{
    public sealed record Pair(string First, string Second, int MaxLength);

    public static IReadOnlyList<string> Extra { get; } =
    [
        "[CLS] hello [SEP]", "[MASK] is [UNK]", "hello[SEP]world", "[cls] lower", "<s> roberta </s>",
        "Mr. O'Neil's 3.5% don't", "ﬁne ligature", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ", "e\u0301 combining acute", "\u00a0nbsp\u200bzero width",
        "a\u0000b\u0007c control", "replacement \ufffd char", "ＩⅣ roman ① circled", "x²³ superscripts", "Ǆ digraph", "İstanbul",
    ];

    public static IReadOnlyList<Pair> Pairs { get; } =
    [
        new("What is the capital of France?", "Paris is the capital and largest city of France.", 12),
        new("short", "a much longer second sentence that must lose pieces", 10),
        new("Naïve café", "résumé", 512),
        new("one two three four five six", "seven eight", 9),
    ];

    public static IEnumerable<string> Texts()
    {
        using var cases = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Fixture("bert", "wordpiece-cases.json")));
        var texts = cases.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("text").GetString()!).ToList();
        return texts.Concat(Extra);
    }
}
