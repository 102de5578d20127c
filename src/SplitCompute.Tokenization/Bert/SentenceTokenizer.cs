using System.Security.Cryptography;
using System.Text;

namespace SplitCompute.Tokenization.Bert;

/// <summary>
/// A sentence encoder's text -> ids as sentence-transformers does it: the model's prompt (e.g. "query: ") prefixed to the text,
/// then the model's scheme (WordPiece with [CLS] ... [SEP], or RoBERTa's byte-level BPE with &lt;s&gt; ... &lt;/s&gt;); truncation keeps
/// the end marker as the last token.
/// </summary>
public sealed class SentenceTokenizer : ITextTokenizer
{
    private readonly IEncoderTokenizer _inner;
    private readonly string _prompt;

    /// <param name="vocabularyBytes">The files it was built from (with the scheme, the lower-casing flag and the prompt, the fingerprint).</param>
    public SentenceTokenizer(IEncoderTokenizer inner, string prompt, ReadOnlySpan<byte> vocabularyBytes, bool lowercase)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(prompt);
        (_inner, _prompt) = (inner, prompt);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{inner.Scheme};lowercase={lowercase};prompt={prompt};"));
        hash.AppendData(vocabularyBytes);
        Fingerprint = Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public string Fingerprint { get; }

    public int VocabularySize => _inner.VocabularySize;

    public int[] Encode(string text) => _inner.Encode(_prompt + text, int.MaxValue).Ids;

    /// <summary>As <see cref="Encode(string)"/> with another of the model's prompts in place of the default one.</summary>
    public int[] Encode(string text, string prompt) => _inner.Encode(prompt + text, int.MaxValue).Ids;

    public int[] Truncate(int[] ids, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length <= maxTokens) return ids;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        return [.. ids.AsSpan(0, maxTokens - 1), ids[^1]];
    }
}
