using System.Text.Json;

namespace SplitCompute.Protocol.Embeddings;

/// <summary>
/// Writes an <see cref="EmbeddingRequest"/> back as the JSON <see cref="EmbeddingRequestParser"/> reads. The gateway uses it to
/// forward the token ids it already computed (texts are tokenized once, at the gateway), with every other field unchanged.
/// </summary>
public static class EmbeddingRequestWriter
{
    public static byte[] ToJsonUtf8(EmbeddingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (request.Model is not null) json.WriteString("model", request.Model);
            json.WriteStartArray("input");
            if (request.TokenIds is { } ids)
            {
                foreach (var sequence in ids)
                {
                    json.WriteStartArray();
                    foreach (var id in sequence) json.WriteNumberValue(id);
                    json.WriteEndArray();
                }
            }
            else
            {
                foreach (var text in request.Texts!) json.WriteStringValue(text);
            }
            json.WriteEndArray();
            json.WriteString("encoding_format", request.EncodingFormat == EncodingFormat.Base64 ? "base64" : "float");
            if (request.Dimensions is { } dimensions) json.WriteNumber("dimensions", dimensions);
            if (request.Normalize is { } normalize) json.WriteBoolean("normalize", normalize);
            if (request.Truncate) json.WriteBoolean("truncate", true);
            if (request.PromptName is { } promptName) json.WriteString("prompt_name", promptName);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
