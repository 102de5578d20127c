namespace SplitCompute.Tokenization;

/// <summary>What a worker needs of a model's tokenizer, whatever the scheme (GPT-2's byte-level BPE, BERT's WordPiece).</summary>
public interface ITextTokenizer
{
    /// <summary>Equal for two tokenizers exactly when they encode every text alike (the gateway forwards token ids only then).</summary>
    string Fingerprint { get; }

    /// <summary>The model's token ids for <paramref name="text"/>, with whatever special tokens the model expects, never truncated.</summary>
    int[] Encode(string text);

    /// <summary>The first <paramref name="maxTokens"/> tokens' worth of an encoding (a scheme with an end marker keeps it).</summary>
    int[] Truncate(int[] ids, int maxTokens) => ids[..Math.Min(ids.Length, maxTokens)];
}
