using Microsoft.ML.Tokenizers;

namespace SplitCompute.Tokenization.Bert;

/// <summary>
/// XLM-RoBERTa's tokenizer (issue 22; multilingual-e5, paraphrase-multilingual-*, bge-m3 and kin): the checkpoint's SentencePiece
/// unigram model (sentencepiece.bpe.model, nmt_nfkc normalisation included) through Microsoft.ML.Tokenizers, with fairseq's ids as
/// Hugging Face's XLMRobertaTokenizer gives them: &lt;s&gt; 0, &lt;pad&gt; 1, &lt;/s&gt; 2, &lt;unk&gt; 3, every other piece its
/// SentencePiece id + 1 (SentencePiece's own unknown, id 0, becomes 3), &lt;mask&gt; after the last piece; &lt;s&gt; text &lt;/s&gt;.
/// </summary>
public sealed class XlmRobertaTokenizer : IEncoderTokenizer
{
    public const int StartId = 0, PadId = 1, EndId = 2, UnknownId = 3;

    /// <summary>fairseq's dictionary puts its four specials first; SentencePiece ids shift by one (its &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2 map to 3, 0, 2).</summary>
    private const int FairseqOffset = 1;

    private readonly SentencePieceTokenizer _pieces;
    private readonly int _pieceCount;

    private XlmRobertaTokenizer(SentencePieceTokenizer pieces, int pieceCount) => (_pieces, _pieceCount) = (pieces, pieceCount);

    public string Scheme => "xlm-roberta-sentencepiece";

    /// <summary>The pieces shifted by one plus &lt;mask&gt;: XLM-R's 250,002-row embedding table for its 250,000 pieces.</summary>
    public int VocabularySize => _pieceCount + FairseqOffset + 1;

    /// <exception cref="TokenizerFormatException">The file is missing, or is not a SentencePiece unigram model with unk 0, bos 1, eos 2.</exception>
    public static XlmRobertaTokenizer FromFile(string modelPath)
    {
        SentencePieceTokenizer pieces;
        try
        {
            using var stream = File.OpenRead(modelPath);
            pieces = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false, specialTokens: null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or IndexOutOfRangeException
            or InvalidOperationException or FormatException or NotSupportedException or OverflowException)
        {
            throw new TokenizerFormatException(modelPath, null, $"not a readable SentencePiece model ({e.GetType().Name}: {e.Message})");
        }
        if (pieces.UnknownId != 0 || pieces.BeginningOfSentenceId != 1 || pieces.EndOfSentenceId != 2)
            throw new TokenizerFormatException(modelPath, null,
                $"SentencePiece ids unk {pieces.UnknownId}, <s> {pieces.BeginningOfSentenceId}, </s> {pieces.EndOfSentenceId}; XLM-R's layout is 0, 1, 2");
        return new XlmRobertaTokenizer(pieces, pieces.Vocabulary.Count);
    }

    /// <summary>&lt;s&gt; text &lt;/s&gt;, at most <paramref name="maxTokens"/> ids (the end of the text is cut; &lt;/s&gt; stays); token types all 0.</summary>
    public EncodedText Encode(string text, int maxTokens = 512)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        var pieces = FuseUnknowns(_pieces.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false, considerPreTokenization: true, considerNormalization: true));
        var keep = Math.Min(pieces.Count, maxTokens - 2);
        var ids = new int[keep + 2];
        ids[0] = StartId;
        for (var i = 0; i < keep; i++) ids[i + 1] = pieces[i] == _pieces.UnknownId ? UnknownId : pieces[i] + FairseqOffset;
        ids[^1] = EndId;
        return new EncodedText(ids, new int[ids.Length], keep < pieces.Count);
    }

    /// <summary>
    /// SentencePiece's unigram model (and Hugging Face's, fuse_unk) turns a run of characters it does not know into one unknown
    /// piece; Microsoft.ML.Tokenizers gives one per character, so runs are fused here.
    /// </summary>
    private List<int> FuseUnknowns(IReadOnlyList<int> pieces)
    {
        var fused = new List<int>(pieces.Count);
        foreach (var id in pieces)
        {
            if (id == _pieces.UnknownId && fused.Count > 0 && fused[^1] == id) continue;
            fused.Add(id);
        }
        return fused;
    }
}
