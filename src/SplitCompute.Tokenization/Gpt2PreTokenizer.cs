using System.Text.RegularExpressions;

namespace SplitCompute.Tokenization;

/// <summary>
/// Splits text into the "words" that BPE runs on, with GPT-2's pattern: contractions, letters, digits and other
/// symbols (each optionally led by one space), and whitespace runs that leave their last space to the next word.
/// </summary>
/// <remarks>
/// .NET matches UTF-16 code units, Python's <c>regex</c> code points: a supplementary-plane letter or digit
/// (e.g. CJK Extension B) is a surrogate pair here and falls into the "other symbols" class. Its bytes are
/// still encoded losslessly; only the word boundaries around it can differ from the reference.
/// </remarks>
internal static partial class Gpt2PreTokenizer
{
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    public static partial Regex Pattern();
}
