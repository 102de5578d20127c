using System.Security.Cryptography;
using System.Text;

namespace SplitCompute.Tokenization.Bert;

/// <summary>
/// A sentence encoder's text -> ids as sentence-transformers does it: the model's prompt (e.g. "query: ") prefixed to the text,
/// then WordPiece with [CLS] ... [SEP]; truncation keeps [SEP] as the last token.
/// </summary>
public sealed class SentenceTokenizer : ITextTokenizer
{
    private readonly WordPieceTokenizer _wordPiece;
    private readonly string _prompt;

    /// <param name="vocabularyBytes">The vocab.txt it was built from (with the lower-casing flag and the prompt, the fingerprint).</param>
    public SentenceTokenizer(WordPieceTokenizer wordPiece, string prompt, ReadOnlySpan<byte> vocabularyBytes, bool lowercase)
    {
        ArgumentNullException.ThrowIfNull(wordPiece);
        ArgumentNullException.ThrowIfNull(prompt);
        (_wordPiece, _prompt) = (wordPiece, prompt);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"wordpiece;lowercase={lowercase};prompt={prompt};"));
        hash.AppendData(vocabularyBytes);
        Fingerprint = Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public string Fingerprint { get; }

    public int VocabularySize => _wordPiece.VocabularySize;

    public int[] Encode(string text) => _wordPiece.Encode(_prompt + text, int.MaxValue).Ids;

    /// <summary>As <see cref="Encode(string)"/> with another of the model's prompts in place of the default one.</summary>
    public int[] Encode(string text, string prompt) => _wordPiece.Encode(prompt + text, int.MaxValue).Ids;

    public int[] Truncate(int[] ids, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length <= maxTokens) return ids;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        return [.. ids.AsSpan(0, maxTokens - 1), ids[^1]];
    }
}
