using System.Buffers.Binary;
using System.Text.Json;

namespace SplitCompute.Protocol.Embeddings;

/// <summary>Writes OpenAI's embeddings response shape, so existing OpenAI clients work unchanged.</summary>
public static class EmbeddingResponseWriter
{
    public static void Write(Utf8JsonWriter json, string model, IReadOnlyList<float[]> embeddings, int promptTokens, EncodingFormat format = EncodingFormat.Float)
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
            if (format == EncodingFormat.Base64)
            {
                json.WriteBase64String("embedding", ToLittleEndianBytes(embeddings[i]));
            }
            else
            {
                json.WriteStartArray("embedding");
                foreach (var value in embeddings[i]) json.WriteNumberValue(value);
                json.WriteEndArray();
            }
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

    /// <summary>The bytes OpenAI base64-encodes: each value as IEEE binary32, little-endian, in order.</summary>
    public static byte[] ToLittleEndianBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return bytes;
    }

    /// <summary>The inverse of <see cref="ToLittleEndianBytes"/>: bit-exact, NaN payloads and -0 included.</summary>
    public static float[] FromLittleEndianBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(float) != 0) throw new ProtocolException($"{bytes.Length} bytes is not a whole number of float32 values", "embedding");
        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        return values;
    }

    /// <summary>
    /// Reads the embeddings back out of an OpenAI-style response, float arrays or base64 strings (the edge runtime's cloud
    /// fallback and the tests use this).
    /// </summary>
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
                var embedding = item.GetProperty("embedding");
                result[index] = embedding.ValueKind == JsonValueKind.String
                    ? FromLittleEndianBytes(embedding.GetBytesFromBase64())
                    : [.. embedding.EnumerateArray().Select(v => v.GetSingle())];
            }
            return result;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ProtocolException($"not an OpenAI-style embeddings response: {ex.Message}", "body", null, ex);
        }
    }
}
