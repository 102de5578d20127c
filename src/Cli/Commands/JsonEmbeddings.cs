using System.Text.Json;

namespace SplitCompute.Cli.Commands;

/// <summary>Writes embeddings as a JSON array of arrays, the shape every `--json` output of the CLI shares.</summary>
internal static class JsonEmbeddings
{
    public static void Write(Utf8JsonWriter json, IReadOnlyList<float[]> embeddings)
    {
        json.WriteStartArray("embeddings");
        foreach (var embedding in embeddings)
        {
            json.WriteStartArray();
            foreach (var value in embedding) json.WriteNumberValue(value);
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }
}
