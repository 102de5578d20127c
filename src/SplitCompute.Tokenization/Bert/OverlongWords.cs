using System.Globalization;
using System.Text;

namespace SplitCompute.Tokenization.Bert;

/// <summary>
/// BERT's rule that a word of more than 100 characters is one [UNK] (WordpieceTokenizer's max_input_chars_per_word, kept by
/// Hugging Face), which FastBertTokenizer does not apply: such a word is replaced by one character the vocabulary cannot spell,
/// so the library emits [UNK] for it. Words are what BERT's basic tokenizer makes: runs between whitespace, punctuation and
/// CJK characters.
/// </summary>
internal static class OverlongWords
{
    public const int MaxCharsPerWord = 100;

    public static string Replace(string text, string unknown)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= MaxCharsPerWord) return text;
        StringBuilder? builder = null;
        var (start, runes, i) = (0, 0, 0);
        while (true)
        {
            var atEnd = i >= text.Length;
            var (rune, width) = (default(Rune), 0);
            if (!atEnd) Rune.DecodeFromUtf16(text.AsSpan(i), out rune, out width);  // a lone surrogate decodes as U+FFFD, width 1
            if (!atEnd && !IsBoundary(rune))
            {
                runes++;
                i += width;
                continue;
            }
            // A word [start, i) ends here: copied as it is, or as one unknown character when too long.
            if (runes > MaxCharsPerWord || builder is not null)
            {
                builder ??= new StringBuilder(text.Length).Append(text, 0, start);
                if (runes > MaxCharsPerWord) builder.Append(unknown);
                else builder.Append(text, start, i - start);
                if (!atEnd) builder.Append(text, i, width);
            }
            if (atEnd) break;
            i += width;
            (start, runes) = (i, 0);
        }
        return builder?.ToString() ?? text;
    }

    /// <summary>Whitespace, BERT's punctuation (ASCII symbols and every P* category) or a CJK ideograph: never inside a word.</summary>
    private static bool IsBoundary(Rune rune)
    {
        var cp = rune.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        if (Rune.IsWhiteSpace(rune)) return true;
        if (cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F) return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }
}
