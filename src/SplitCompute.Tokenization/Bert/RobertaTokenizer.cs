using System.Text.Json;

namespace SplitCompute.Tokenization.Bert;

/// <summary>
/// RoBERTa's tokenizer (issue 22; all-distilroberta-v1, all-roberta-large-v1 and kin): GPT-2's byte-level BPE over the model's own
/// vocab.json and merges.txt (no prefix space, as Hugging Face's RobertaTokenizer by default), between &lt;s&gt; and &lt;/s&gt;, whose
/// ids come from vocab.json. Special-token spellings inside the text (e.g. "&lt;mask&gt;") are encoded as ordinary characters, as
/// GPT-2's tokenizer does; Hugging Face's would match them as added tokens.
/// </summary>
public sealed class RobertaTokenizer : IEncoderTokenizer
{
    private readonly Gpt2Tokenizer _bpe;

    private RobertaTokenizer(Gpt2Tokenizer bpe, int startId, int endId) => (_bpe, StartId, EndId) = (bpe, startId, endId);

    public string Scheme => "roberta-bpe";

    public int StartId { get; }

    public int EndId { get; }

    public int VocabularySize => _bpe.VocabSize;

    /// <exception cref="TokenizerFormatException">A file is missing or malformed, or vocab.json lacks &lt;s&gt; or &lt;/s&gt;.</exception>
    public static RobertaTokenizer FromFiles(string vocabPath, string mergesPath)
    {
        var bpe = Gpt2Tokenizer.FromFiles(vocabPath, mergesPath);
        using var vocab = JsonDocument.Parse(File.ReadAllBytes(vocabPath));
        int Special(string token) => vocab.RootElement.TryGetProperty(token, out var id) && id.TryGetInt32(out var value) ? value
            : throw new TokenizerFormatException(vocabPath, null, $"vocab.json has no {token} token (expected for a RoBERTa vocabulary)");
        return new RobertaTokenizer(bpe, Special("<s>"), Special("</s>"));
    }

    /// <summary>&lt;s&gt; text &lt;/s&gt;, at most <paramref name="maxTokens"/> ids (the end of the text is cut; &lt;/s&gt; stays); token types all 0.</summary>
    public EncodedText Encode(string text, int maxTokens = 512)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        var pieces = _bpe.Encode(text);
        var keep = Math.Min(pieces.Length, maxTokens - 2);
        var ids = new int[keep + 2];
        ids[0] = StartId;
        pieces.AsSpan(0, keep).CopyTo(ids.AsSpan(1));
        ids[^1] = EndId;
        return new EncodedText(ids, new int[ids.Length], keep < pieces.Length);
    }
}
