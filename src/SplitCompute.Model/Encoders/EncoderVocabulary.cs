using System.Text;
using System.Text.Json;
using SplitCompute.Tokenization;
using SplitCompute.Tokenization.Bert;

namespace SplitCompute.Model.Encoders;

/// <summary>
/// A sentence encoder's tokenizer from its directory: BERT's WordPiece from vocab.txt with tokenizer_config.json's do_lower_case
/// (or, where only a fast tokenizer was saved, tokenizer.json's WordPiece model and BertNormalizer flags), or RoBERTa's byte-level
/// BPE from vocab.json and merges.txt, or XLM-R's SentencePiece from sentencepiece.bpe.model. <see cref="Bytes"/> is what the tokenizer was built from, for fingerprints.
/// </summary>
public sealed record EncoderVocabulary(IEncoderTokenizer Tokenizer, byte[] Bytes, bool Lowercase, string Source)
{
    public static EncoderVocabulary Load(string directory)
    {
        var vocabPath = Path.Combine(directory, "vocab.txt");
        if (File.Exists(vocabPath))
        {
            var lowercase = ReadLowercase(Path.Combine(directory, "tokenizer_config.json"));
            return new EncoderVocabulary(WordPieceTokenizer.FromFile(vocabPath, lowercase), File.ReadAllBytes(vocabPath), lowercase, vocabPath);
        }
        var (bpeVocab, merges) = (Path.Combine(directory, "vocab.json"), Path.Combine(directory, "merges.txt"));
        if (File.Exists(bpeVocab) && File.Exists(merges))
        {
            try
            {
                return new EncoderVocabulary(RobertaTokenizer.FromFiles(bpeVocab, merges), [.. File.ReadAllBytes(bpeVocab), .. File.ReadAllBytes(merges)], Lowercase: false, bpeVocab);
            }
            catch (TokenizerFormatException e)
            {
                throw new InvalidDataException($"{directory}: {e.Message}", e);
            }
        }
        var sentencePiece = Path.Combine(directory, "sentencepiece.bpe.model");
        if (File.Exists(sentencePiece))
        {
            try
            {
                return new EncoderVocabulary(XlmRobertaTokenizer.FromFile(sentencePiece), File.ReadAllBytes(sentencePiece), Lowercase: false, sentencePiece);
            }
            catch (TokenizerFormatException e)
            {
                throw new InvalidDataException($"{directory}: {e.Message}", e);
            }
        }
        var jsonPath = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(jsonPath)) return FromTokenizerJson(jsonPath);
        throw new FileNotFoundException($"{directory}: no vocab.txt (WordPiece), vocab.json + merges.txt (RoBERTa's BPE), sentencepiece.bpe.model (XLM-R) or tokenizer.json: an encoder needs its tokenizer", vocabPath);
    }

    private static bool ReadLowercase(string configPath)
    {
        if (!File.Exists(configPath)) return true;
        using var json = Parse(configPath);
        return !(json.RootElement.TryGetProperty("do_lower_case", out var lower) && lower.ValueKind == JsonValueKind.False);
    }

    private static EncoderVocabulary FromTokenizerJson(string path)
    {
        using var json = Parse(path);
        var root = json.RootElement;
        if (!root.TryGetProperty("model", out var model) || !model.TryGetProperty("type", out var type) || type.GetString() != "WordPiece")
            throw new InvalidDataException($"{path}: model.type is not \"WordPiece\" (only BERT's WordPiece tokenizer is read)");
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: model.vocab is missing or not an object");
        var byId = new SortedDictionary<int, string>();
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0 || !byId.TryAdd(id, entry.Name))
                throw new InvalidDataException($"{path}: model.vocab[\"{entry.Name}\"] is not a unique non-negative id");
        }
        if (byId.Count == 0 || byId.Keys.Last() != byId.Count - 1)
            throw new InvalidDataException($"{path}: model.vocab's ids are not 0..{byId.Count - 1} without gaps");
        // BertNormalizer: lowercase (default true); strip_accents null means "as lowercase".
        var lowercase = true;
        bool? stripAccents = null;
        if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object)
        {
            if (normalizer.TryGetProperty("lowercase", out var l) && l.ValueKind == JsonValueKind.False) lowercase = false;
            if (normalizer.TryGetProperty("strip_accents", out var a) && a.ValueKind is JsonValueKind.True or JsonValueKind.False) stripAccents = a.GetBoolean();
        }
        var text = string.Join('\n', byId.Values) + "\n";
        var tokenizer = WordPieceTokenizer.FromVocabularyText(text, lowercase, stripAccents ?? lowercase, path);
        return new EncoderVocabulary(tokenizer, Encoding.UTF8.GetBytes(text), lowercase, path);
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }
}
