using System.Text.Json;
using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.Cli.Commands;

/// <summary>Writes embeddings as a JSON array of arrays, the shape every `--json` output of the CLI shares.</summary>
internal static class JsonEmbeddings
{
    /// <summary>With <see cref="EncodingFormat.Base64"/>, each embedding is a string: the base64 of its little-endian float32 bytes, as OpenAI encodes it.</summary>
    public static void Write(Utf8JsonWriter json, IReadOnlyList<float[]> embeddings, EncodingFormat format = EncodingFormat.Float)
    {
        json.WriteStartArray("embeddings");
        foreach (var embedding in embeddings)
        {
            if (format == EncodingFormat.Base64)
            {
                json.WriteBase64StringValue(EmbeddingResponseWriter.ToLittleEndianBytes(embedding));
                continue;
            }
            json.WriteStartArray();
            foreach (var value in embedding) json.WriteNumberValue(value);
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }
}
