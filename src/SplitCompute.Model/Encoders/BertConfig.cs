using System.Text.Json;

namespace SplitCompute.Model.Encoders;

/// <summary>
/// A BERT-family encoder's hyper-parameters from its Hugging Face config.json (issue 22): BERT itself and RoBERTa / XLM-R,
/// whose position ids start after the padding index. Refuses what the encoder code will not implement (another activation,
/// relative position embeddings) instead of computing something else; every error names the file and the field.
/// </summary>
public sealed record BertConfig(
    string ModelType, int VocabSize, int HiddenSize, int NumLayers, int NumHeads, int IntermediateSize, int MaxPositions,
    int TypeVocabSize, float LayerNormEpsilon, int PadTokenId)
{
    private static readonly string[] ModelTypes = ["bert", "roberta", "xlm-roberta"];

    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>RoBERTa and XLM-R number positions from padding index + 1 (Hugging Face's create_position_ids_from_input_ids).</summary>
    public int PositionOffset => ModelType == "bert" ? 0 : PadTokenId + 1;

    /// <summary>Whether <paramref name="modelDirectory"/>'s config.json names a BERT-family model_type (false when unreadable: the GPT-2 loader reports that).</summary>
    public static bool IsEncoderDirectory(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "config.json");
        if (!File.Exists(path)) return false;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            return json.RootElement.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String && ModelTypes.Contains(type.GetString());
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static BertConfig Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "config.json");
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot read an encoder config ({ex.Message})", ex);
        }
        using (json)
        {
            var root = json.RootElement;
            var type = Text(root, path, "model_type");
            if (!ModelTypes.Contains(type)) throw new InvalidDataException($"{path}: model_type \"{type}\" is not a BERT-family encoder ({string.Join(", ", ModelTypes)})");
            var activation = root.TryGetProperty("hidden_act", out var act) ? act.GetString() : "gelu";
            if (activation != "gelu") throw new InvalidDataException($"{path}: hidden_act \"{activation}\" is not supported (the encoders use the exact erf GELU, \"gelu\")");
            if (root.TryGetProperty("position_embedding_type", out var positions) && positions.GetString() is { } kind && kind != "absolute")
                throw new InvalidDataException($"{path}: position_embedding_type \"{kind}\" is not supported (only absolute)");
            var config = new BertConfig(type, Int(root, path, "vocab_size"), Int(root, path, "hidden_size"), Int(root, path, "num_hidden_layers"),
                Int(root, path, "num_attention_heads"), Int(root, path, "intermediate_size"), Int(root, path, "max_position_embeddings"),
                root.TryGetProperty("type_vocab_size", out var types) ? types.GetInt32() : 2,
                root.TryGetProperty("layer_norm_eps", out var eps) ? (float)eps.GetDouble() : 1e-12f,
                root.TryGetProperty("pad_token_id", out var pad) && pad.ValueKind == JsonValueKind.Number ? pad.GetInt32() : 0);
            if (config.HiddenSize % config.NumHeads != 0)
                throw new InvalidDataException($"{path}: hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.NumHeads}");
            return config;
        }
    }

    private static string Text(JsonElement root, string path, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()!
            : throw new InvalidDataException($"{path}: \"{name}\" is missing or not a string");

    private static int Int(JsonElement root, string path, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n > 0 ? n
            : throw new InvalidDataException($"{path}: \"{name}\" is missing or not a positive integer");
}
