using System.Text.Json;

namespace SplitCompute.Model.Encoders;

/// <summary>How a sentence-transformers model turns token vectors into one embedding (its Pooling module).</summary>
public enum SentencePooling
{
    /// <summary>The [CLS] position (BGE).</summary>
    Cls,

    /// <summary>Mean over positions whose mask is 1 (all-MiniLM, E5, GTE).</summary>
    Mean,

    /// <summary>Per-channel maximum over positions whose mask is 1.</summary>
    Max,
}

public static class SentencePoolings
{
    /// <summary>The same pooling in the layer-range API's terms (<see cref="Forward.Pooler"/>).</summary>
    public static Forward.Pooling ToPooling(this SentencePooling pooling) => pooling switch
    {
        SentencePooling.Cls => Forward.Pooling.Cls,
        SentencePooling.Max => Forward.Pooling.Max,
        _ => Forward.Pooling.Mean,
    };
}

/// <summary>
/// A model directory as sentence-transformers saves it (issue 22): modules.json naming a Transformer, a Pooling and optionally a
/// Normalize module; 1_Pooling/config.json (cls, mean or max, with or without prompt tokens); sentence_bert_config.json
/// (max_seq_length, do_lower_case); config_sentence_transformers.json (prompts such as "query: "); and the transformer's own
/// config.json. What it does not implement (a Dense module, other pooling modes) is refused by name, never skipped.
/// </summary>
public sealed record SentenceTransformerLayout(
    BertConfig Config, SentencePooling Pooling, bool PoolingIncludesPrompt, bool Normalize, int MaxSequenceLength,
    IReadOnlyDictionary<string, string> Prompts, string? DefaultPromptName)
{
    private const string TransformerModule = "sentence_transformers.models.Transformer";
    private const string PoolingModule = "sentence_transformers.models.Pooling";
    private const string NormalizeModule = "sentence_transformers.models.Normalize";

    public static SentenceTransformerLayout Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var config = BertConfig.Load(directory);
        var modulesPath = Path.Combine(directory, "modules.json");
        using var modules = Read(modulesPath);
        if (modules.RootElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{modulesPath}: expected an array of modules");
        string? poolingPath = null;
        var normalize = false;
        var index = 0;
        foreach (var module in modules.RootElement.EnumerateArray())
        {
            var type = module.TryGetProperty("type", out var t) ? t.GetString() : null;
            var path = module.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "";
            switch (type)
            {
                case TransformerModule when index == 0 && path.Length == 0:
                    break;
                case PoolingModule when poolingPath is null:
                    poolingPath = Path.Combine(directory, path, "config.json");
                    break;
                case NormalizeModule when poolingPath is not null:
                    normalize = true;
                    break;
                default:
                    throw new InvalidDataException($"{modulesPath}: module {index} ({type ?? "no type"}, path \"{path}\") is not supported here " +
                                                   "(expected the Transformer at the root, then Pooling, then optionally Normalize)");
            }
            index++;
        }
        if (poolingPath is null) throw new InvalidDataException($"{modulesPath}: no {PoolingModule} module");
        var (pooling, includePrompt) = ReadPooling(poolingPath, config.HiddenSize);
        var maxLength = ReadMaxLength(Path.Combine(directory, "sentence_bert_config.json"), config.MaxPositions - config.PositionOffset);
        var (prompts, defaultPrompt) = ReadPrompts(Path.Combine(directory, "config_sentence_transformers.json"));
        return new SentenceTransformerLayout(config, pooling, includePrompt, normalize, maxLength, prompts, defaultPrompt);
    }

    private static (SentencePooling, bool) ReadPooling(string path, int hiddenSize)
    {
        using var json = Read(path);
        var root = json.RootElement;
        if (root.TryGetProperty("word_embedding_dimension", out var width) && width.GetInt32() != hiddenSize)
            throw new InvalidDataException($"{path}: word_embedding_dimension {width.GetInt32()} differs from the transformer's hidden_size {hiddenSize}");
        bool On(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
        var modes = new List<SentencePooling>();
        if (On("pooling_mode_cls_token")) modes.Add(SentencePooling.Cls);
        if (On("pooling_mode_mean_tokens")) modes.Add(SentencePooling.Mean);
        if (On("pooling_mode_max_tokens")) modes.Add(SentencePooling.Max);
        foreach (var unsupported in new[] { "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken" })
            if (On(unsupported)) throw new InvalidDataException($"{path}: {unsupported} is not supported (cls, mean or max)");
        if (modes.Count != 1) throw new InvalidDataException($"{path}: exactly one of pooling_mode_cls_token, _mean_tokens, _max_tokens must be true (found {modes.Count})");
        var includePrompt = !root.TryGetProperty("include_prompt", out var prompt) || prompt.ValueKind != JsonValueKind.False;
        return (modes[0], includePrompt);
    }

    private static int ReadMaxLength(string path, int positions)
    {
        if (!File.Exists(path)) return positions;
        using var json = Read(path);
        if (!json.RootElement.TryGetProperty("max_seq_length", out var value) || value.ValueKind != JsonValueKind.Number) return positions;
        var length = value.GetInt32();
        if (length < 2 || length > positions) throw new InvalidDataException($"{path}: max_seq_length {length} is outside [2, {positions}] (the model's positions)");
        return length;
    }

    private static (IReadOnlyDictionary<string, string>, string?) ReadPrompts(string path)
    {
        var prompts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return (prompts, null);
        using var json = Read(path);
        if (json.RootElement.TryGetProperty("prompts", out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var prompt in map.EnumerateObject())
                prompts[prompt.Name] = prompt.Value.GetString() ?? throw new InvalidDataException($"{path}: prompt \"{prompt.Name}\" is not a string");
        }
        var defaultName = json.RootElement.TryGetProperty("default_prompt_name", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        if (defaultName is not null && !prompts.ContainsKey(defaultName)) throw new InvalidDataException($"{path}: default_prompt_name \"{defaultName}\" is not one of the prompts");
        return (prompts, defaultName);
    }

    private static JsonDocument Read(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }
}
