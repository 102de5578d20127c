using System.Text;
using System.Text.Json;

namespace SplitCompute.Tokenization;

/// <summary>
/// Reads the two files of a GPT-2 tokenizer: vocab.json (token string to id) and merges.txt (ranked merge pairs,
/// one "left right" per line). Every problem becomes a <see cref="TokenizerFormatException"/> naming the file.
/// </summary>
internal static class VocabularyFileReader
{
    /// <summary>Parses a JSON object of token to non-negative integer id. <paramref name="source"/> names the file in errors.</summary>
    public static Dictionary<string, int> ReadVocabulary(ReadOnlySpan<byte> json, string source)
    {
        if (json.StartsWith("\uFEFF"u8)) json = json[3..];
        var vocab = new Dictionary<string, int>(capacity: 64 * 1024, StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Error(source, json, reader, "expected a JSON object mapping token strings to integer ids");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var token = reader.GetString()!;
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id) || id < 0)
                {
                    throw Error(source, json, reader, $"the id of token {Quote(token)} is not a non-negative 32-bit integer");
                }
                if (!vocab.TryAdd(token, id))
                {
                    throw Error(source, json, reader, $"token {Quote(token)} appears twice");
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw Error(source, json, reader, "expected the end of the JSON object");
            }
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber is { } zeroBased ? (int)zeroBased + 1 : (int?)null;
            throw new TokenizerFormatException(source, line, $"malformed JSON: {ex.Message}", ex);
        }
        if (vocab.Count == 0) throw new TokenizerFormatException(source, null, "the vocabulary is empty");
        return vocab;
    }

    /// <summary>
    /// Parses merge lines into (left, right) token pairs in rank order. The first line may be "#version: ...";
    /// lines may end in CRLF; empty lines are allowed only at the end of the file.
    /// </summary>
    public static List<(string Left, string Right, int Line)> ReadMerges(TextReader text, string source)
    {
        var merges = new List<(string, string, int)>(capacity: 50_000);
        var lineNumber = 0;
        int? firstEmptyLine = null;
        while (text.ReadLine() is { } line)
        {
            lineNumber++;
            if (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (line.Length == 0)
            {
                firstEmptyLine ??= lineNumber;
                continue;
            }
            if (firstEmptyLine is { } empty)
            {
                throw new TokenizerFormatException(source, empty, "empty line before the end of the merges");
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new TokenizerFormatException(source, lineNumber, $"expected two tokens separated by one space, found {Quote(line)}");
            }
            merges.Add((line[..space], line[(space + 1)..], lineNumber));
        }
        return merges;
    }

    private static TokenizerFormatException Error(string source, ReadOnlySpan<byte> json, Utf8JsonReader reader, string detail)
    {
        var offset = (int)Math.Min(reader.TokenStartIndex, json.Length);
        return new TokenizerFormatException(source, json[..offset].Count((byte)'\n') + 1, detail);
    }

    /// <summary>Quotes a token for a message, escaping control characters so the message stays on one line.</summary>
    internal static string Quote(string token)
    {
        var shown = token.Length > 60 ? token[..60] + "..." : token;
        var builder = new StringBuilder(shown.Length + 2).Append('"');
        foreach (var c in shown)
        {
            if (char.IsControl(c)) builder.Append($"\\u{(int)c:X4}");
            else builder.Append(c);
        }
        return builder.Append('"').ToString();
    }
}
