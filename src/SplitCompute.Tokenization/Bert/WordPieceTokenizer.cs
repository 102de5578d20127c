namespace SplitCompute.Tokenization.Bert;

/// <summary>
/// BERT's WordPiece tokenizer (issue 22) as BERT-family sentence encoders use it: text cleaned, CJK characters split, accents
/// stripped and lower-cased (uncased vocabularies), punctuation split, greedy longest-match word pieces, [UNK] for what the
/// vocabulary cannot spell and for words over 100 characters (<see cref="OverlongWords"/>), [CLS] ... [SEP], truncation to the model's limit, and sentence pairs with token type ids. The
/// splitting and matching are FastBertTokenizer's (a maintained library, 2.5-3x faster than Microsoft.ML.Tokenizers' here);
/// accents are stripped by <see cref="StripAccents"/> first, because under invariant globalization the library's own
/// normalisation does nothing. Thread-safe for encoding once loaded.
/// </summary>
public sealed class WordPieceTokenizer : IEncoderTokenizer
{
    private const string BertBaseUncasedResource = "SplitCompute.Tokenization.Data.bert-base-uncased.vocab.txt";

    private readonly FastBertTokenizer.BertTokenizer _inner = new();
    private readonly bool _stripAccents;
    private readonly string _unknownWord;

    private WordPieceTokenizer(TextReader vocabulary, bool lowercase, bool stripAccents, string source)
    {
        var lines = vocabulary.ReadToEnd().Split('\n');
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        if (count == 0) throw new TokenizerFormatException($"{source}: the WordPiece vocabulary is empty");
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++) index.TryAdd(lines[i].TrimEnd('\r'), i);
        int Special(string token) => index.TryGetValue(token, out var id) ? id
            : throw new TokenizerFormatException($"{source}: the WordPiece vocabulary has no {token} token (expected for a BERT vocabulary)");
        (ClsId, SepId, PadId, UnkId) = (Special("[CLS]"), Special("[SEP]"), Special("[PAD]"), Special("[UNK]"));
        VocabularySize = count;
        _stripAccents = stripAccents;
        // A symbol the vocabulary cannot spell (as a word or a continuation), standing in for words over 100 characters.
        _unknownWord = new[] { "\u2603", "\u2318", "\u26A0", "\u2B1F" }.FirstOrDefault(c => !index.ContainsKey(c) && !index.ContainsKey("##" + c))
            ?? throw new TokenizerFormatException($"{source}: no stand-in symbol for over-long words is missing from the vocabulary");
        using var reader = new StringReader(string.Join('\n', lines.Take(count).Select(l => l.TrimEnd('\r'))));
        _inner.LoadVocabulary(reader, convertInputToLowercase: lowercase);
    }

    public int ClsId { get; }
    public int SepId { get; }
    public int PadId { get; }
    public int UnkId { get; }
    public int VocabularySize { get; }

    public string Scheme => "wordpiece";

    /// <summary>A vocab.txt (one token per line, id = line number), e.g. a sentence-transformers model directory's.</summary>
    /// <param name="lowercase">Uncased models (the default, as BERT's do_lower_case); accents are stripped when lower-casing, as BERT does.</param>
    public static WordPieceTokenizer FromFile(string vocabPath, bool lowercase = true)
    {
        using var reader = File.OpenText(vocabPath);
        return new WordPieceTokenizer(reader, lowercase, lowercase, vocabPath);
    }

    /// <summary>A vocabulary given as text, one token per line (id = line number), e.g. rebuilt from a tokenizer.json.</summary>
    /// <param name="source">Names where it came from in errors.</param>
    public static WordPieceTokenizer FromVocabularyText(string vocabulary, bool lowercase, bool stripAccents, string source)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        using var reader = new StringReader(vocabulary);
        return new WordPieceTokenizer(reader, lowercase, stripAccents, source);
    }

    /// <summary>BERT-Base, Uncased's vocabulary (30,522 tokens; all-MiniLM-L6-v2's), embedded in this assembly.</summary>
    public static WordPieceTokenizer BertBaseUncased()
    {
        using var stream = OpenBertBaseUncased();
        using var reader = new StreamReader(stream);
        return new WordPieceTokenizer(reader, lowercase: true, stripAccents: true, BertBaseUncasedResource);
    }

    /// <summary>Writes the embedded BERT-Base, Uncased vocab.txt (LF line endings) to <paramref name="path"/>, e.g. into a seeded model directory.</summary>
    public static void WriteBertBaseUncasedVocabulary(string path)
    {
        using var stream = OpenBertBaseUncased();
        using var file = File.Create(path);
        stream.CopyTo(file);
    }

    private static Stream OpenBertBaseUncased() =>
        typeof(WordPieceTokenizer).Assembly.GetManifestResourceStream(BertBaseUncasedResource)
        ?? throw new TokenizerFormatException($"embedded resource {BertBaseUncasedResource} is missing from {typeof(WordPieceTokenizer).Assembly.GetName().Name}");

    /// <summary>[CLS] text [SEP], at most <paramref name="maxTokens"/> ids (the end of the text is cut; [SEP] stays); token types all 0.</summary>
    public EncodedText Encode(string text, int maxTokens = 512)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        var pieces = Pieces(text);
        var keep = Math.Min(pieces.Length, maxTokens - 2);
        var ids = new int[keep + 2];
        ids[0] = ClsId;
        pieces.AsSpan(0, keep).CopyTo(ids.AsSpan(1));
        ids[^1] = SepId;
        return new EncodedText(ids, new int[ids.Length], keep < pieces.Length);
    }

    /// <summary>
    /// [CLS] first [SEP] second [SEP] with token types 0 up to the first [SEP] and 1 after it; over <paramref name="maxTokens"/>,
    /// the longer side loses its last piece until it fits (Hugging Face's longest_first).
    /// </summary>
    public EncodedText EncodePair(string first, string second, int maxTokens = 512)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 3);
        var (a, b) = (Pieces(first), Pieces(second));
        int keepA = a.Length, keepB = b.Length;
        while (keepA + keepB > maxTokens - 3)
        {
            if (keepA > keepB) keepA--;
            else keepB--;
        }
        var ids = new int[keepA + keepB + 3];
        var types = new int[ids.Length];
        ids[0] = ClsId;
        a.AsSpan(0, keepA).CopyTo(ids.AsSpan(1));
        ids[keepA + 1] = SepId;
        b.AsSpan(0, keepB).CopyTo(ids.AsSpan(keepA + 2));
        ids[^1] = SepId;
        types.AsSpan(keepA + 2).Fill(1);
        return new EncodedText(ids, types, keepA < a.Length || keepB < b.Length);
    }

    /// <summary>The word pieces of <paramref name="text"/>, without [CLS]/[SEP].</summary>
    private int[] Pieces(string text)
    {
        var prepared = OverlongWords.Replace(_stripAccents ? StripAccents.Apply(text) : text, _unknownWord);
        // The library wraps its output in [CLS] ... [SEP]; ask for enough room that it never truncates (a piece spans at least
        // one character, and a character becomes at most one piece of its own plus [UNK] handling).
        // The library's Encode hands back its own reused buffers: one caller at a time, copied out before the next.
        lock (_inner)
        {
            var (ids, _, _) = _inner.Encode(prepared, maximumTokens: prepared.Length + 16);
            var span = ids.Span;
            var pieces = new int[Math.Max(0, span.Length - 2)];
            for (var i = 0; i < pieces.Length; i++) pieces[i] = (int)span[i + 1];
            return pieces;
        }
    }
}

/// <summary>Token ids and token type ids (0: first sentence, 1: second), and whether the input was cut to fit.</summary>
public sealed record EncodedText(int[] Ids, int[] TokenTypes, bool Truncated);
