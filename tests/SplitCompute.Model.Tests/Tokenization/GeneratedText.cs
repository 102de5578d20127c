using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace SplitCompute.Model.Tests.Tokenization;

/// <summary>
/// Text for comparing tokenizers: valid UTF-16 (no lone surrogates, see Gpt2ReferenceTokenizerTests) drawn from every plane, mixed
/// with the fragments where GPT-2's pre-tokenizer decides something: contractions, whitespace runs and Unicode spaces,
/// letters outside the BMP, combining marks, digits of other scripts, emoji sequences.
/// </summary>
internal static class GeneratedText
{
    private static readonly string[] Fragments =
    [
        "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'", "''", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n ",
        "\u00A0", "\u1680", "\u2003", "\u2028", "\u2029", "\u202F", "\u3000", "\u0085", "\u000B", "\u000C", "\u001F", "\u200B",
        "\u180E", "\uFEFF", "\u0000", "\u007F", "\uFFFD", "\uFFFF", "<|", "|>", "1234", "3.14", "٣٤", "²", "１２", "Ⅻ", "é", "e\u0301",
        "ß", "İ", "ﬁ", "Σς", "Ж", "λ", "日本語", "한국어", "ไทย", "العربية", "𠀀", "𝐀𝐁", "𐐷", "😀", "👩\u200D💻", "🇫🇷", "❤\uFE0F", "GPT-2",
        "SplitCompute", "the", " the", "...", "—", "“", "_", "x=y+z", "https://example.com/a?b=c",
    ];

    /// <summary>A scalar value, weighted towards ASCII but reaching the supplementary planes.</summary>
    private static readonly Gen<string> ScalarValue = Gen.Frequency(
            (4, Gen.Choose(0x20, 0x7E)),
            (1, Gen.Choose(0x00, 0x1F)),
            (2, Gen.Choose(0x80, 0x7FF)),
            (2, Gen.Choose(0x800, BmpDrawEnd - 1)),
            (2, Gen.Choose(0x10000, 0x10FFFF)))
        .Select(ScalarFromDraw);

    public static readonly Gen<string> Text =
        Gen.Choose(0, 24).SelectMany(n => Gen.ArrayOf(Gen.Frequency((3, ScalarValue), (2, Gen.Elements(Fragments))), n)).Select(string.Concat);

    /// <summary>Seeded and plain System.Random, for a few thousand cases with no FsCheck in the way.</summary>
    public static string RandomScalars(Random random)
    {
        var builder = new StringBuilder();
        var count = random.Next(0, 30);
        for (var i = 0; i < count; i++)
        {
            builder.Append(ScalarFromDraw(random.Next(4) switch
            {
                0 => random.Next(0, 0x80),
                1 => random.Next(0x80, 0x800),
                2 => random.Next(0x800, BmpDrawEnd),
                _ => random.Next(0x10000, 0x110000),
            }));
        }
        return builder.ToString();
    }

    /// <summary>BMP draws span the BMP less the 2048 surrogate code points, which <see cref="ScalarFromDraw"/> skips over.</summary>
    private const int BmpDrawEnd = 0x10000 - 0x800;

    private static string ScalarFromDraw(int draw) => char.ConvertFromUtf32(draw is >= 0xD800 and < BmpDrawEnd ? draw + 0x800 : draw);
}
