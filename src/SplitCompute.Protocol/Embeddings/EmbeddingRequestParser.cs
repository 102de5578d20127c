using System.Text.Json;

namespace SplitCompute.Protocol.Embeddings;

/// <summary>
/// Strict parser for <see cref="EmbeddingRequest"/> bodies. Every problem is a <see cref="ProtocolException"/> naming the field
/// (e.g. "input[3]"), so the HTTP layer answers 400 with that message and the field as OpenAI's <c>param</c>. Unknown fields are
/// ignored, as OpenAI's API does; a key given twice is refused. An input over a length limit is kept only up to the limit and refused at the end unless
/// <c>truncate</c> is true (the fields may come in any order).
/// </summary>
public static class EmbeddingRequestParser
{
    public const string ContextLengthExceeded = Errors.ApiErrorCodes.ContextLengthExceeded;

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
        var input = new InputReader(limits);
        var sawInput = false;
        var format = EncodingFormat.Float;
        int? dimensions = null;
        bool? normalize = null;
        var truncate = false;
        string? promptName = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            // Parsers disagree on which of two equal keys wins (the last here, the first elsewhere): a proxy in front that read
            // the other one would have checked a different request (issue 21).
            if (!seen.Add(name)) throw new ProtocolException($"the key \"{Shorten(name)}\" appears twice in the object", name.Length <= 40 ? name : "body");
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
                    input.Read(ref reader);
                    break;
                case "encoding_format":
                    format = ReadFormat(ref reader);
                    break;
                case "dimensions":
                    dimensions = ReadDimensions(ref reader, limits);
                    break;
                case "normalize":
                    normalize = ReadOptionalBool(ref reader, "normalize");
                    break;
                case "truncate":
                    truncate = ReadOptionalBool(ref reader, "truncate") ?? false;
                    break;
                case "prompt_name":
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null)) throw new ProtocolException("expected a string", "prompt_name");
                    promptName = reader.GetString();
                    if (promptName is { Length: 0 or > 256 }) throw new ProtocolException("expected 1 to 256 characters", "prompt_name");
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new ProtocolException("expected the end of the object", "body");
        if (reader.Read()) throw new ProtocolException("unexpected data after the JSON object", "body");
        if (!sawInput) throw new ProtocolException("is required", "input");
        if (!truncate && input.OverLong is { } overLong) throw overLong;
        return new EmbeddingRequest(model, input.Texts, input.Ids)
        {
            EncodingFormat = format, Dimensions = dimensions, Normalize = normalize, Truncate = truncate, PromptName = promptName,
        };
    }

    private static EncodingFormat ReadFormat(ref Utf8JsonReader reader)
    {
        // null is what some clients send for "not set".
        if (reader.TokenType == JsonTokenType.Null) return EncodingFormat.Float;
        var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return value switch
        {
            "float" => EncodingFormat.Float,
            "base64" => EncodingFormat.Base64,
            _ => throw new ProtocolException($"must be \"float\" or \"base64\", found {Show(ref reader)}", "encoding_format"),
        };
    }

    private static int? ReadDimensions(ref Utf8JsonReader reader, EmbeddingRequestLimits limits)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value) || value < 1 || value > limits.MaxDimensions)
            throw new ProtocolException($"must be an integer in [1, {limits.MaxDimensions}], found {Show(ref reader)}", "dimensions");
        return value;
    }

    private static bool? ReadOptionalBool(ref Utf8JsonReader reader, string field) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Null => null,
        _ => throw new ProtocolException($"must be true or false, found {Show(ref reader)}", field),
    };

    private static string Shorten(string name) => name.Length <= 40 ? name : name[..40] + "...";

    /// <summary>The offending value for a message: a short string or number as written, otherwise its JSON kind.</summary>
    private static string Show(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString()!;
            return text.Length <= 40 ? $"\"{text}\"" : $"\"{text[..40]}...\"";
        }
        if (reader.TokenType == JsonTokenType.Number) return System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
        var kind = reader.TokenType switch
        {
            JsonTokenType.StartArray => "an array",
            JsonTokenType.StartObject => "an object",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            _ => reader.TokenType.ToString().ToLowerInvariant(),
        };
        reader.Skip();
        return kind;
    }

    /// <summary>Reads <c>input</c>; remembers the first input over a length limit (kept up to the limit) instead of throwing.</summary>
    private sealed class InputReader(EmbeddingRequestLimits limits)
    {
        public List<string>? Texts { get; private set; }
        public List<int[]>? Ids { get; private set; }
        public ProtocolException? OverLong { get; private set; }

        public void Read(ref Utf8JsonReader reader)
        {
            Texts = null;
            Ids = null;
            OverLong = null;
            if (reader.TokenType == JsonTokenType.String)
            {
                Texts = [ReadText(ref reader, "input")];
                return;
            }
            if (reader.TokenType != JsonTokenType.StartArray) throw new ProtocolException("expected a string, an array of strings or of token-id arrays", "input");
            if (!reader.Read()) throw new ProtocolException("unterminated array", "input");
            if (reader.TokenType == JsonTokenType.EndArray) throw new ProtocolException("must not be empty", "input");

            if (reader.TokenType == JsonTokenType.Number)
            {
                Ids = [ReadIds(ref reader, "input", alreadyInside: true)];
                return;
            }
            if (reader.TokenType == JsonTokenType.String)
            {
                var texts = new List<string>();
                do
                {
                    if (reader.TokenType != JsonTokenType.String) throw new ProtocolException("expected a string", $"input[{texts.Count}]");
                    if (texts.Count == limits.MaxInputs) throw TooMany();
                    texts.Add(ReadText(ref reader, $"input[{texts.Count}]"));
                }
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray);
                Texts = texts;
                return;
            }
            var sequences = new List<int[]>();
            do
            {
                if (reader.TokenType != JsonTokenType.StartArray) throw new ProtocolException("expected an array of token ids", $"input[{sequences.Count}]");
                if (sequences.Count == limits.MaxInputs) throw TooMany();
                sequences.Add(ReadIds(ref reader, $"input[{sequences.Count}]", alreadyInside: false));
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray);
            Ids = sequences;
        }

        private ProtocolException TooMany() => new($"more than {limits.MaxInputs} inputs in one request; send at most {limits.MaxInputs} per request", "input");

        private string ReadText(ref Utf8JsonReader reader, string field)
        {
            var text = reader.GetString()!;
            if (text.Length == 0) throw new ProtocolException("must not be empty", field);
            if (text.Length <= limits.MaxTextLength) return text;
            OverLong ??= new ProtocolException($"is {text.Length} characters; the limit is {limits.MaxTextLength} (send \"truncate\": true to cut it)", field)
            {
                Code = ContextLengthExceeded,
            };
            return text[..limits.MaxTextLength];
        }

        private int[] ReadIds(ref Utf8JsonReader reader, string field, bool alreadyInside)
        {
            var ids = new List<int>();
            var count = 0;
            if (!alreadyInside && !reader.Read()) throw new ProtocolException("unterminated array", field);
            while (reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id) || id < 0)
                    throw new ProtocolException("token ids must be non-negative 32-bit integers", $"{field}[{count}]");
                if (count == limits.MaxIdsPerSequence)
                {
                    OverLong ??= new ProtocolException($"more than {limits.MaxIdsPerSequence} token ids (send \"truncate\": true to cut it)", field)
                    {
                        Code = ContextLengthExceeded,
                    };
                }
                else
                {
                    ids.Add(id);
                }
                count++;
                if (!reader.Read()) throw new ProtocolException("unterminated array", field);
            }
            if (count == 0) throw new ProtocolException("must not be empty", field);
            return [.. ids];
        }
    }
}
