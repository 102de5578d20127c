using System.Text.Json;
using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.Gateway.Tei;

/// <summary>
/// POST /embed's body, <c>{"inputs": string | string[] | ids, "normalize": bool = true, "truncate": bool = false}</c>, rewritten
/// as the OpenAI request the shared embeddings path serves. The inputs pass through as written, so they are checked by the same
/// parser as /v1/embeddings; only TEI's own rules (empty batch, batch size, the two flags) are checked here.
/// </summary>
internal static class TeiEmbedRequest
{
    public static int MaxInputs => EmbeddingRequestLimits.Default.MaxInputs;

    /// <summary>The OpenAI body (floats), or the TEI refusal.</summary>
    public static byte[] ToOpenAi(byte[] body, out TeiError? error)
    {
        error = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            error = new TeiError(422, $"the body is not valid JSON: {ex.Message}", TeiError.Validation);
            return [];
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail(out error, "expected a JSON object");
            if (!root.TryGetProperty("inputs", out var inputs)) return Fail(out error, "missing field `inputs`");
            if (inputs.ValueKind == JsonValueKind.Array)
            {
                var count = inputs.GetArrayLength();
                if (count == 0)
                {
                    error = new TeiError(400, "`inputs` cannot be empty", TeiError.Empty);
                    return [];
                }
                if (count > MaxInputs)
                {
                    error = new TeiError(413, $"batch size {count} > maximum allowed batch size {MaxInputs}", TeiError.Validation);
                    return [];
                }
            }
            if (!TryFlag(root, "normalize", true, out var normalize) || !TryFlag(root, "truncate", false, out var truncate))
                return Fail(out error, "`normalize` and `truncate` must be true or false");

            using var buffer = new MemoryStream(body.Length + 64);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WritePropertyName("input");
                inputs.WriteTo(json);
                json.WriteBoolean("normalize", normalize);
                json.WriteBoolean("truncate", truncate);
                json.WriteString("encoding_format", "float");
                if (root.TryGetProperty("prompt_name", out var promptName) && promptName.ValueKind != JsonValueKind.Null)
                {
                    json.WritePropertyName("prompt_name");
                    promptName.WriteTo(json);  // the worker checks it against the model's prompts
                }
                json.WriteEndObject();
            }
            return buffer.ToArray();
        }
    }

    private static byte[] Fail(out TeiError? error, string message)
    {
        error = new TeiError(422, message, TeiError.Validation);
        return [];
    }

    private static bool TryFlag(JsonElement root, string name, bool fallback, out bool value)
    {
        value = fallback;
        if (!root.TryGetProperty(name, out var element)) return true;
        switch (element.ValueKind)
        {
            case JsonValueKind.True: value = true; return true;
            case JsonValueKind.False: value = false; return true;
            case JsonValueKind.Null: return true;
            default: return false;
        }
    }
}
