using System.Globalization;
using System.Text;

namespace SplitCompute.Tokenization.Bert;

/// <summary>
/// BERT's accent stripping (NFD, then drop every non-spacing mark) without ICU: .NET's invariant-globalization mode, which
/// the product runs in, leaves string.Normalize a no-op, so a tokenizer that relies on it turns "naïve café" into [UNK] [UNK].
/// Decompositions come from a generated table (<see cref="Table"/>), Hangul syllables from the Unicode formula, and marks are
/// recognised by their category (which invariant mode does know).
/// </summary>
internal static partial class StripAccents
{
    private const int HangulBase = 0xAC00, HangulCount = 11_172, LeadBase = 0x1100, VowelBase = 0x1161, TrailBase = 0x11A7;
    private const int VowelCount = 21, TrailCount = 28;

    // Built on first use, not as a field beside Table: the two halves of this partial class initialise in no defined order.
    private static class Decompositions
    {
        public static readonly Dictionary<int, string> ByCodePoint = Table.ToDictionary(e => e.CodePoint, e => e.Stripped);
    }

    /// <summary>The text as BERT's tokenizer sees it after stripping accents; ASCII comes back as the same instance.</summary>
    public static string Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Ascii.IsValid(text)) return text;
        var builder = new StringBuilder(text.Length);
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp is >= HangulBase and < HangulBase + HangulCount)
            {
                var index = cp - HangulBase;
                builder.Append((char)(LeadBase + (index / (VowelCount * TrailCount))));
                builder.Append((char)(VowelBase + (index % (VowelCount * TrailCount) / TrailCount)));
                if (index % TrailCount != 0) builder.Append((char)(TrailBase + (index % TrailCount)));
            }
            else if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
            {
                // dropped
            }
            else if (Decompositions.ByCodePoint.TryGetValue(cp, out var stripped))
            {
                builder.Append(stripped);
            }
            else
            {
                builder.Append(utf16[..rune.EncodeToUtf16(utf16)]);
            }
        }
        return builder.ToString();
    }
}
