namespace SplitCompute.Tokenization.Bert;

/// <summary>
/// A BERT-family encoder's text -> ids with the model's own specials (BERT's [CLS] ... [SEP], RoBERTa's &lt;s&gt; ... &lt;/s&gt;), cut
/// to a limit that keeps the end marker: what a sentence encoder needs of its tokenizer, whatever the scheme.
/// </summary>
public interface IEncoderTokenizer
{
    /// <summary>Names the scheme in fingerprints ("wordpiece", "roberta-bpe").</summary>
    string Scheme { get; }

    /// <summary>The size of an embedding table indexed by these ids.</summary>
    int VocabularySize { get; }

    /// <summary>The text's ids between the model's start and end markers, at most <paramref name="maxTokens"/> (the end of the text is cut; the end marker stays).</summary>
    EncodedText Encode(string text, int maxTokens = 512);
}
