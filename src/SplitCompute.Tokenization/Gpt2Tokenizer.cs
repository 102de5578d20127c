using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace SplitCompute.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE tokenizer (OpenAI encoder.py semantics): text is split by GPT-2's pattern, each word's
/// UTF-8 bytes are spelled in the byte-level alphabet and merged by rank. Encoding adds no prefix space and no
/// special tokens; "&lt;|endoftext|&gt;" in the text is encoded as ordinary characters. Instances are immutable
/// apart from an internal word cache and are safe for concurrent use.
/// </summary>
public sealed class Gpt2Tokenizer : ITextTokenizer
{
    /// <summary>Enough distinct words for typical prompts and corpora, a few MB at most.</summary>
    internal const int DefaultCacheCapacity = 100_000;

    /// <summary>Longer words are rare and would bloat the cache; they are always merged afresh.</summary>
    internal const int MaxCachedWordLength = 64;

    private const string EndOfTextToken = "<|endoftext|>";

    private readonly BytePairMerger merger;
    private readonly byte[]?[] bytesById;
    private readonly WordTokenCache cache;

    private Gpt2Tokenizer(BytePairMerger merger, byte[]?[] bytesById, int? endOfTextId, int cacheCapacity, string fingerprint)
    {
        this.merger = merger;
        this.bytesById = bytesById;
        EndOfTextId = endOfTextId;
        cache = new WordTokenCache(cacheCapacity);
        Fingerprint = fingerprint;
    }

    /// <summary>
    /// SHA-256 (hex) of what decides every id: each id's bytes and the merges in rank order; two tokenizers with the same
    /// fingerprint encode every text alike, however their files were formatted. The gateway forwards its token ids to a worker
    /// only when the worker's tokenizer has the same fingerprint.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>The size of an embedding table indexed by these ids: the largest id plus one (50257 for GPT-2).</summary>
    public int VocabSize => bytesById.Length;

    /// <summary>The id of "&lt;|endoftext|&gt;", if the vocabulary has it.</summary>
    public int? EndOfTextId { get; }

    internal WordTokenCache Cache => cache;

    internal BytePairMerger Merger => merger;

    /// <summary>
    /// Loads vocab.json (or encoder.json) and merges.txt (or vocab.bpe) from a model directory, as found in
    /// Hugging Face GPT-2 checkpoints and OpenAI's release respectively.
    /// </summary>
    /// <exception cref="TokenizerFormatException">A file is missing or malformed.</exception>
    public static Gpt2Tokenizer FromDirectory(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        if (!Directory.Exists(modelDirectory))
        {
            throw new TokenizerFormatException(modelDirectory, null, "the tokenizer directory does not exist");
        }
        var vocab = FindFirst(modelDirectory, "vocab.json", "encoder.json");
        var merges = FindFirst(modelDirectory, "merges.txt", "vocab.bpe");
        return FromFiles(vocab, merges);
    }

    /// <summary>Loads a vocabulary JSON file and a merges file.</summary>
    /// <exception cref="TokenizerFormatException">A file is missing or malformed.</exception>
    public static Gpt2Tokenizer FromFiles(string vocabPath, string mergesPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        ArgumentException.ThrowIfNullOrEmpty(mergesPath);
        var vocabJson = ReadFile(vocabPath, File.ReadAllBytes);
        using var merges = ReadFile(mergesPath, path => new StreamReader(path, Encoding.UTF8));
        return Create(vocabJson, vocabPath, merges, mergesPath, DefaultCacheCapacity);
    }

    /// <summary>The standard GPT-2 tokenizer (50257 tokens), built from the vocabulary embedded in this assembly.</summary>
    public static Gpt2Tokenizer CreateDefault()
    {
        var vocabJson = Gpt2Vocabulary.ReadEmbedded(Gpt2Vocabulary.EncoderJsonResource);
        using var merges = new StreamReader(new MemoryStream(Gpt2Vocabulary.ReadEmbedded(Gpt2Vocabulary.VocabBpeResource)), Encoding.UTF8);
        return Create(vocabJson, Gpt2Vocabulary.EncoderJsonResource, merges, Gpt2Vocabulary.VocabBpeResource, DefaultCacheCapacity);
    }

    /// <summary>Builds a tokenizer from file contents; <paramref name="vocabSource"/> and <paramref name="mergesSource"/> name them in errors.</summary>
    internal static Gpt2Tokenizer Create(ReadOnlySpan<byte> vocabJson, string vocabSource, TextReader merges, string mergesSource, int cacheCapacity)
    {
        var vocab = VocabularyFileReader.ReadVocabulary(vocabJson, vocabSource);

        var byteTokenIds = new int[256];
        for (var b = 0; b < 256; b++)
        {
            var symbol = ByteLevelAlphabet.ByteToChar[b].ToString();
            if (!vocab.TryGetValue(symbol, out byteTokenIds[b]))
            {
                throw new TokenizerFormatException(vocabSource, null,
                    $"no token for byte 0x{b:X2} ({VocabularyFileReader.Quote(symbol)}); a byte-level vocabulary needs all 256");
            }
        }

        var mergeIds = new List<(int, int, int)>(capacity: 50_000);
        foreach (var (left, right, line) in VocabularyFileReader.ReadMerges(merges, mergesSource))
        {
            mergeIds.Add((IdOf(left), IdOf(right), IdOf(left + right)));

            int IdOf(string token) => vocab.TryGetValue(token, out var id) ? id
                : throw new TokenizerFormatException(mergesSource, line, $"token {VocabularyFileReader.Quote(token)} is not in {vocabSource}");
        }

        var bytesById = new byte[]?[vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab)
        {
            if (bytesById[id] is not null)
            {
                throw new TokenizerFormatException(vocabSource, null, $"id {id} is used by more than one token");
            }
            bytesById[id] = TokenBytes(token);
        }

        int? endOfText = vocab.TryGetValue(EndOfTextToken, out var eot) ? eot : null;
        return new Gpt2Tokenizer(new BytePairMerger(byteTokenIds, mergeIds), bytesById, endOfText, cacheCapacity, FingerprintOf(bytesById, mergeIds));
    }

    private static string FingerprintOf(byte[]?[] bytesById, List<(int Left, int Right, int Merged)> merges)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var number = new byte[4];
        void Add(int value)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(number, value);
            hash.AppendData(number);
        }
        foreach (var bytes in bytesById)
        {
            Add(bytes?.Length ?? -1);  // length-prefixed, so no two tables hash alike by concatenation
            if (bytes is not null) hash.AppendData(bytes);
        }
        foreach (var (left, right, merged) in merges)
        {
            Add(left);
            Add(right);
            Add(merged);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Encodes text to token ids; the result for a given text never depends on the cache or other threads.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return [];

        // GPT-2 averages 3 to 4 characters per token on English text.
        var ids = new TokenBuffer(text.Length / 3 + 16);
        try
        {
            foreach (var match in Gpt2PreTokenizer.Pattern().EnumerateMatches(text))
            {
                EncodeWord(text.AsSpan(match.Index, match.Length), ref ids);
            }
            return ids.ToArray();
        }
        finally
        {
            ids.Dispose();
        }
    }

    /// <summary>Decodes token ids to text; byte sequences that are not valid UTF-8 become U+FFFD, as in encoder.py.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var length = 0;
        foreach (var id in ids)
        {
            length += TokenBytesOf(id).Length;
        }
        if (length == 0) return string.Empty;

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = 0;
            foreach (var id in ids)
            {
                var bytes = bytesById[id]!;
                bytes.CopyTo(buffer, written);
                written += bytes.Length;
            }
            return Encoding.UTF8.GetString(buffer, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Empties the word cache (benchmarks measure cold encoding with it).</summary>
    internal void ClearCache() => cache.Clear();

    // The stack buffers are fully written before being read; skipping their zeroing matters at one call per word.
    [SkipLocalsInit]
    private void EncodeWord(ReadOnlySpan<char> word, ref TokenBuffer output)
    {
        var cacheable = word.Length <= MaxCachedWordLength;
        if (cacheable && cache.TryGet(word, out var cached))
        {
            output.Add(cached);
            return;
        }

        // One UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair is 4 bytes for 2 units).
        var maxBytes = word.Length * 3;
        byte[]? rentedBytes = null;
        int[]? rentedIds = null;
        var utf8 = maxBytes <= 256 ? stackalloc byte[256] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        var ids = maxBytes <= 256 ? stackalloc int[256] : (rentedIds = ArrayPool<int>.Shared.Rent(maxBytes));
        try
        {
            var byteCount = Encoding.UTF8.GetBytes(word, utf8);
            var tokens = ids[..merger.Encode(utf8[..byteCount], ids)];
            if (cacheable) cache.Add(word, tokens.ToArray());
            output.Add(tokens);
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedIds is not null) ArrayPool<int>.Shared.Return(rentedIds);
        }
    }

    private byte[] TokenBytesOf(int id) =>
        (uint)id < (uint)bytesById.Length && bytesById[id] is { } bytes
            ? bytes
            : throw new ArgumentOutOfRangeException("ids", id, $"Token id {id} is not in the vocabulary (ids 0..{bytesById.Length - 1}).");

    /// <summary>
    /// The bytes a vocabulary token stands for. Characters outside the byte-level alphabet (only possible in added
    /// tokens of third-party files) stand for their own UTF-8 bytes, as in Hugging Face's ByteLevel decoder.
    /// </summary>
    private static byte[] TokenBytes(string token)
    {
        var bytes = new List<byte>(token.Length);
        Span<byte> scratch = stackalloc byte[4];
        for (var i = 0; i < token.Length; i++)
        {
            var b = ByteLevelAlphabet.CharToByte(token[i]);
            if (b >= 0)
            {
                bytes.Add((byte)b);
                continue;
            }
            var units = char.IsHighSurrogate(token[i]) && i + 1 < token.Length && char.IsLowSurrogate(token[i + 1]) ? 2 : 1;
            var n = Encoding.UTF8.GetBytes(token.AsSpan(i, units), scratch);
            bytes.AddRange(scratch[..n]);
            i += units - 1;
        }
        return [.. bytes];
    }

    private static string FindFirst(string directory, params string[] names)
    {
        foreach (var name in names)
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        throw new TokenizerFormatException(Path.Combine(directory, names[0]), null,
            $"file not found; expected {string.Join(" or ", names)} in {directory}");
    }

    private static T ReadFile<T>(string path, Func<string, T> read)
    {
        try
        {
            return read(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TokenizerFormatException(path, null, "file not found", ex);
        }
    }
}
