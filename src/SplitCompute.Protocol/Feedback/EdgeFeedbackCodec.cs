using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SplitCompute.Protocol.Feedback;

/// <summary>
/// The JSON of a feedback body (docs/protocol.md §5). The reader is strict: every field required, typed and in range (each
/// time 0 or 1 us..10 min, so no denormal, infinity or NaN gets past it),
/// duplicate keys refused (languages disagree on which one wins), unknown fields skipped (new optional fields may be added
/// within version 1), and every failure a <see cref="ProtocolException"/> naming the field.
/// </summary>
public static class EdgeFeedbackCodec
{
    private static readonly string MsRange = string.Create(CultureInfo.InvariantCulture, $"{EdgeFeedbackLimits.MinNonZeroMs}..{EdgeFeedbackLimits.MaxMs}");
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow };

    public static byte[] ToJson(EdgeFeedback feedback)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("decision", feedback.DecisionId);
            json.WriteString("model", feedback.Model);
            json.WriteNumber("k", feedback.K);
            json.WriteNumber("n", feedback.N);
            json.WriteNumber("request_ms", Math.Round(feedback.RequestMs, 3));
            json.WriteNumber("download_ms", Math.Round(feedback.DownloadMs, 3));
            json.WriteNumber("downloaded_bytes", feedback.DownloadedBytes);
            json.WriteNumber("edge_ms", Math.Round(feedback.EdgeMs, 3));
            json.WriteNumber("total_ms", Math.Round(feedback.TotalMs, 3));
            json.WriteBoolean("fell_back", feedback.FellBack);
            json.WriteBoolean("weights_loaded", feedback.WeightsLoaded);
            json.WriteNumber("load_ms", Math.Round(feedback.LoadMs, 3));
            json.WriteNumber("loaded_bytes", feedback.LoadedBytes);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static EdgeFeedback Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length == 0) throw new ProtocolException("the body is empty; expected a JSON object", "body");
        if (body.Length > EdgeFeedbackLimits.MaxBodyBytes)
            throw new ProtocolException($"the body is {body.Length} bytes; the limit is {EdgeFeedbackLimits.MaxBodyBytes}", "body");
        var reader = new Utf8JsonReader(body, ReaderOptions);
        var fields = new Dictionary<string, object>(StringComparer.Ordinal);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new ProtocolException("expected a JSON object", "body");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString()!;
                if (!reader.Read()) break;
                if (fields.ContainsKey(name)) throw new ProtocolException("appears twice", name);
                var value = ReadField(ref reader, name);
                if (value is not null) fields[name] = value;
            }
            if (reader.Read()) throw new ProtocolException("trailing data after the JSON object", "body");
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"not valid JSON ({ex.Message})", "body", ex.BytePositionInLine, ex);
        }
        return Build(fields);
    }

    /// <summary>Reads a known field's value (null for unknown fields, which are skipped).</summary>
    private static object? ReadField(ref Utf8JsonReader reader, string name)
    {
        switch (name)
        {
            case "decision" or "model":
                if (reader.TokenType != JsonTokenType.String) throw new ProtocolException($"expected a string, found {Describe(reader.TokenType)}", name);
                return reader.GetString()!;
            case "k" or "n" or "downloaded_bytes" or "loaded_bytes":
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var integer))
                    throw new ProtocolException($"expected an integer, found {Describe(reader.TokenType)}{(reader.TokenType == JsonTokenType.Number ? " " + Encoding.UTF8.GetString(reader.ValueSpan) : "")}", name);
                return integer;
            case "request_ms" or "download_ms" or "edge_ms" or "total_ms" or "load_ms":
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var number) || !double.IsFinite(number))
                    throw new ProtocolException($"expected 0 or {MsRange} ms, found {Describe(reader.TokenType)}{(reader.TokenType == JsonTokenType.Number ? " " + Encoding.UTF8.GetString(reader.ValueSpan) : "")}", name);
                return number;
            case "fell_back" or "weights_loaded":
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) throw new ProtocolException($"expected true or false, found {Describe(reader.TokenType)}", name);
                return reader.GetBoolean();
            default:
                reader.Skip();
                return null;
        }
    }

    private static EdgeFeedback Build(Dictionary<string, object> fields)
    {
        T Required<T>(string name) => fields.TryGetValue(name, out var value) ? (T)value : throw new ProtocolException("missing", name);

        var decision = Required<string>("decision");
        if (!DecisionId.IsValid(decision))
            throw new ProtocolException($"expected {DecisionId.Length} lowercase hex characters (the id of X-SplitCompute-Decision), found {PrintableAscii.Quote(decision, 40)}", "decision");
        var model = Required<string>("model");
        if (model.Length is 0 or > EdgeFeedbackLimits.MaxStringLength || !model.All(c => c is >= ' ' and <= '~'))
            throw new ProtocolException($"expected 1 to {EdgeFeedbackLimits.MaxStringLength} printable ASCII characters, found {PrintableAscii.Quote(model, 40)}", "model");
        var n = Required<long>("n");
        if (n is < 1 or > EdgeFeedbackLimits.MaxLayers) throw new ProtocolException($"expected 1..{EdgeFeedbackLimits.MaxLayers}, found {n}", "n");
        var k = Required<long>("k");
        if (k < 0 || k >= n) throw new ProtocolException($"expected 0 <= k < n = {n} (feedback is for split decisions), found {k}", "k");
        var bytes = Required<long>("downloaded_bytes");
        if (bytes is < 0 or > EdgeFeedbackLimits.MaxDownloadedBytes)
            throw new ProtocolException($"expected 0..{EdgeFeedbackLimits.MaxDownloadedBytes}, found {bytes}", "downloaded_bytes");
        var edgeMs = Milliseconds(fields, "edge_ms");
        // Optional, added within version 1: absent means 0 (an older client).
        var loadMs = fields.ContainsKey("load_ms") ? Milliseconds(fields, "load_ms") : 0;
        if (loadMs > edgeMs) throw new ProtocolException($"expected 0 <= load_ms <= edge_ms = {edgeMs}, found {loadMs}", "load_ms");
        var loadedBytes = fields.TryGetValue("loaded_bytes", out var loadedValue) ? (long)loadedValue : 0;
        if (loadedBytes is < 0 or > EdgeFeedbackLimits.MaxDownloadedBytes)
            throw new ProtocolException($"expected 0..{EdgeFeedbackLimits.MaxDownloadedBytes}, found {loadedBytes}", "loaded_bytes");
        var weightsLoaded = fields.TryGetValue("weights_loaded", out var loaded) && (bool)loaded;
        // weights_loaded is true iff loaded_bytes > 0; true with loaded_bytes absent is an older client's, and accepted.
        if (loadedBytes > 0 && !weightsLoaded)
            throw new ProtocolException($"loaded_bytes = {loadedBytes} says weights were loaded, but weights_loaded is false", "weights_loaded");
        return new EdgeFeedback(decision, model, (int)k, (int)n,
            Milliseconds(fields, "request_ms"), Milliseconds(fields, "download_ms"), bytes, edgeMs, Milliseconds(fields, "total_ms"),
            Required<bool>("fell_back"), weightsLoaded, loadMs, loadedBytes);
    }

    private static double Milliseconds(Dictionary<string, object> fields, string name)
    {
        var ms = fields.TryGetValue(name, out var value) ? (double)value : throw new ProtocolException("missing", name);
        if (ms == 0) return 0;  // -0 too: a zero with a sign would turn a later division into -infinity
        if (ms is < EdgeFeedbackLimits.MinNonZeroMs or > EdgeFeedbackLimits.MaxMs)
            throw new ProtocolException(string.Create(CultureInfo.InvariantCulture,
                $"expected 0 or {MsRange} ms, found {ms:R}"), name);
        return ms;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };
}
