using System.Text.Json;

namespace SplitCompute.Protocol.Embeddings;

/// <summary>
/// Strict parser for <see cref="EmbeddingRequest"/> bodies. Every problem is a <see cref="ProtocolException"/> naming the field
/// (e.g. "input[3]"), so the HTTP layer answers 400 with that message. Unknown fields are ignored, as OpenAI's API does.
/// </summary>
public static class EmbeddingRequestParser
{
    public static EmbeddingRequest Parse(ReadOnlySpan<byte> json, EmbeddingRequestLimits? limits = null)
    {
        limits ??= EmbeddingRequestLimits.Default;
        // Utf8JsonReader checks UTF-8 only when a string is decoded, and then throws InvalidOperationException (a 500 at the
        // gateway): refuse invalid UTF-8 up front instead (found by EmbeddingRequestPropertyTests).
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw new ProtocolException("the body is not valid UTF-8", "body");
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            return ParseObject(ref reader, limits);
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"the body is not valid JSON: {ex.Message}", "body", ex.BytePositionInLine, ex);
        }
        catch (InvalidOperationException ex)
        {
            // Utf8JsonReader.GetString throws this for a string it cannot decode, e.g. an escaped lone surrogate ("\ud800"),
            // which is valid UTF-8 and valid JSON syntax (found by HostileHttpTests as a gateway 500).
            throw new ProtocolException($"the body holds a string that is not valid Unicode: {ex.Message}", "body", inner: ex);
        }
    }

    private static EmbeddingRequest ParseObject(ref Utf8JsonReader reader, EmbeddingRequestLimits limits)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new ProtocolException("expected a JSON object", "body");
        string? model = null;
        List<string>? texts = null;
        List<int[]>? ids = null;
        var sawInput = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "model":
                    // null means "the gateway's default", like an absent field.
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null)) throw new ProtocolException("expected a string", "model");
                    model = reader.GetString();
                    break;
                case "input":
                    sawInput = true;
                    (texts, ids) = ParseInput(ref reader, limits);
                    break;
                case "encoding_format":
                    if (reader.TokenType != JsonTokenType.String || reader.GetString() != "float")
                        throw new ProtocolException("only \"float\" is supported", "encoding_format");
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new ProtocolException("expected the end of the object", "body");
        if (reader.Read()) throw new ProtocolException("unexpected data after the JSON object", "body");
        if (!sawInput) throw new ProtocolException("is required", "input");
        return new EmbeddingRequest(model, texts, ids);
    }

    private static (List<string>?, List<int[]>?) ParseInput(ref Utf8JsonReader reader, EmbeddingRequestLimits limits)
    {
        if (reader.TokenType == JsonTokenType.String) return ([ReadText(ref reader, "input", limits)], null);
        if (reader.TokenType != JsonTokenType.StartArray) throw new ProtocolException("expected a string, an array of strings or of token-id arrays", "input");
        if (!reader.Read()) throw new ProtocolException("unterminated array", "input");
        if (reader.TokenType == JsonTokenType.EndArray) throw new ProtocolException("must not be empty", "input");

        if (reader.TokenType == JsonTokenType.Number) return (null, [ReadIds(ref reader, "input", limits, alreadyInside: true)]);
        if (reader.TokenType == JsonTokenType.String)
        {
            var texts = new List<string>();
            do
            {
                if (reader.TokenType != JsonTokenType.String) throw new ProtocolException("expected a string", $"input[{texts.Count}]");
                if (texts.Count == limits.MaxInputs) throw new ProtocolException($"more than {limits.MaxInputs} inputs", "input");
                texts.Add(ReadText(ref reader, $"input[{texts.Count}]", limits));
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray);
            return (texts, null);
        }
        var sequences = new List<int[]>();
        do
        {
            if (reader.TokenType != JsonTokenType.StartArray) throw new ProtocolException("expected an array of token ids", $"input[{sequences.Count}]");
            if (sequences.Count == limits.MaxInputs) throw new ProtocolException($"more than {limits.MaxInputs} inputs", "input");
            sequences.Add(ReadIds(ref reader, $"input[{sequences.Count}]", limits, alreadyInside: false));
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray);
        return (null, sequences);
    }

    private static string ReadText(ref Utf8JsonReader reader, string field, EmbeddingRequestLimits limits)
    {
        var text = reader.GetString()!;
        if (text.Length == 0) throw new ProtocolException("must not be empty", field);
        if (text.Length > limits.MaxTextLength) throw new ProtocolException($"is {text.Length} characters; the limit is {limits.MaxTextLength}", field);
        return text;
    }

    private static int[] ReadIds(ref Utf8JsonReader reader, string field, EmbeddingRequestLimits limits, bool alreadyInside)
    {
        var ids = new List<int>();
        if (!alreadyInside && !reader.Read()) throw new ProtocolException("unterminated array", field);
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id) || id < 0)
                throw new ProtocolException("token ids must be non-negative 32-bit integers", $"{field}[{ids.Count}]");
            if (ids.Count == limits.MaxIdsPerSequence) throw new ProtocolException($"more than {limits.MaxIdsPerSequence} token ids", field);
            ids.Add(id);
            if (!reader.Read()) throw new ProtocolException("unterminated array", field);
        }
        if (ids.Count == 0) throw new ProtocolException("must not be empty", field);
        return [.. ids];
    }
}
