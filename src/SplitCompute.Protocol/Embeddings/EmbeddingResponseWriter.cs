using System.Text.Json;

namespace SplitCompute.Protocol.Embeddings;

/// <summary>Writes OpenAI's embeddings response shape, so existing OpenAI clients work unchanged.</summary>
public static class EmbeddingResponseWriter
{
    public static void Write(Utf8JsonWriter json, string model, IReadOnlyList<float[]> embeddings, int promptTokens)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(embeddings);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        for (var i = 0; i < embeddings.Count; i++)
        {
            json.WriteStartObject();
            json.WriteString("object", "embedding");
            json.WriteNumber("index", i);
            json.WriteStartArray("embedding");
            foreach (var value in embeddings[i]) json.WriteNumberValue(value);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString("model", model);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", promptTokens);
        json.WriteNumber("total_tokens", promptTokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Reads the embeddings back out of an OpenAI-style response (the edge runtime's cloud fallback uses this).</summary>
    public static float[][] ReadEmbeddings(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var data = document.RootElement.GetProperty("data");
            var result = new float[data.GetArrayLength()][];
            foreach (var item in data.EnumerateArray())
            {
                var index = item.GetProperty("index").GetInt32();
                if ((uint)index >= (uint)result.Length || result[index] is not null) throw new ProtocolException($"index {index} is out of range or repeated", "data");
                result[index] = [.. item.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
            }
            return result;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ProtocolException($"not an OpenAI-style embeddings response: {ex.Message}", "body", null, ex);
        }
    }
}
