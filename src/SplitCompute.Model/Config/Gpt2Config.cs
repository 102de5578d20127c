using System.Globalization;
using System.Text.Json;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Config;

/// <summary>
/// The GPT-2 hyper-parameters this product supports, read from / written to a Hugging Face config.json.
/// Loading refuses configurations whose semantics the model code does not implement rather than computing something else.
/// </summary>
public sealed record Gpt2Config(int VocabSize, int NPositions, int NEmbd, int NLayer, int NHead, float LayerNormEpsilon, string ActivationFunction)
{
    public const string FileName = "config.json";
    public const float DefaultLayerNormEpsilon = 1e-5f;
    public const string DefaultActivation = "gelu_new";
    private const int Gpt2EndOfText = 50256;

    /// <summary>Both names HF uses for the tanh-approximated GELU; "gelu" (erf) is a different function.</summary>
    private static readonly string[] SupportedActivations = ["gelu_new", "gelu_pytorch_tanh"];

    private static readonly (string Name, Gpt2Config Config)[] Presets =
    [
        ("tiny", new(50257, 1024, 64, 4, 4, DefaultLayerNormEpsilon, DefaultActivation)),
        ("gpt2", new(50257, 1024, 768, 12, 12, DefaultLayerNormEpsilon, DefaultActivation)),
        ("gpt2-medium", new(50257, 1024, 1024, 24, 16, DefaultLayerNormEpsilon, DefaultActivation)),
        ("gpt2-large", new(50257, 1024, 1280, 36, 20, DefaultLayerNormEpsilon, DefaultActivation)),
        ("gpt2-xl", new(50257, 1024, 1600, 48, 25, DefaultLayerNormEpsilon, DefaultActivation)),
    ];

    public int HeadDim => NEmbd / NHead;

    /// <summary>The shape the layer-range code sees: causal attention.</summary>
    public Forward.LayerStackShape Shape => new(NLayer, NEmbd, NHead, NPositions, VocabSize, Causal: true);

    /// <summary>MLP hidden width; GPT-2 fixes it at 4 * n_embd (configs with another n_inner are refused).</summary>
    public int InnerDim => 4 * NEmbd;

    public static IReadOnlyList<string> PresetNames { get; } = Presets.Select(p => p.Name).ToArray();

    public static Gpt2Config Preset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (presetName, config) in Presets)
        {
            if (string.Equals(presetName, name, StringComparison.OrdinalIgnoreCase)) return config;
        }
        throw new ArgumentException($"unknown model preset '{name}'; known presets: {string.Join(", ", PresetNames)}", nameof(name));
    }

    /// <summary>Reads <c>config.json</c> from <paramref name="modelDirectory"/>; errors name the file and the key.</summary>
    public static Gpt2Config Load(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        var path = Path.GetFullPath(Path.Combine(modelDirectory, FileName));
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{path}: cannot read model config: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: must be a JSON object");

            var modelType = OptionalString(path, root, "model_type");
            if (modelType is not null && modelType != "gpt2")
            {
                throw new ModelFormatException($"{path}: key 'model_type' is '{modelType}'; only 'gpt2' is supported");
            }

            var vocab = PositiveInt(path, root, "vocab_size");
            var embd = PositiveInt(path, root, "n_embd");
            var layers = PositiveInt(path, root, "n_layer");
            var heads = PositiveInt(path, root, "n_head");
            var positions = Positions(path, root);

            if (embd % heads != 0)
            {
                throw new ModelFormatException($"{path}: key 'n_embd' ({embd}) must be divisible by key 'n_head' ({heads})");
            }

            var epsilon = DefaultLayerNormEpsilon;
            if (Present(root, "layer_norm_epsilon", out var eps))
            {
                if (eps.ValueKind != JsonValueKind.Number || !eps.TryGetDouble(out var e) || !(e > 0) || !double.IsFinite((float)e) || (float)e == 0)
                {
                    throw new ModelFormatException($"{path}: key 'layer_norm_epsilon' must be a positive number, found {eps.GetRawText()}");
                }
                epsilon = (float)e;
            }

            var activation = OptionalString(path, root, "activation_function") ?? DefaultActivation;
            if (!SupportedActivations.Contains(activation))
            {
                throw new ModelFormatException(
                    $"{path}: key 'activation_function' is '{activation}'; supported (tanh GELU): {string.Join(", ", SupportedActivations)}");
            }

            CheckUnsupportedVariants(path, root, embd);
            return new Gpt2Config(vocab, positions, embd, layers, heads, epsilon, activation);
        }
    }

    /// <summary>Writes a config.json that Hugging Face transformers loads as GPT2LMHeadModel (float32 weights).</summary>
    public void Save(string modelDirectory) => Save(modelDirectory, "float32");

    /// <summary>Writes config.json declaring <paramref name="torchDType"/> ("float32", "float16", "bfloat16") as the weights' dtype.</summary>
    public void Save(string modelDirectory, string torchDType)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        ArgumentException.ThrowIfNullOrEmpty(torchDType);
        Validate();
        Directory.CreateDirectory(modelDirectory);
        var path = Path.Combine(modelDirectory, FileName);
        var tmp = path + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model_type", "gpt2");
            json.WriteStartArray("architectures");
            json.WriteStringValue("GPT2LMHeadModel");
            json.WriteEndArray();
            json.WriteNumber("vocab_size", VocabSize);
            json.WriteNumber("n_positions", NPositions);
            json.WriteNumber("n_ctx", NPositions);
            json.WriteNumber("n_embd", NEmbd);
            json.WriteNumber("n_layer", NLayer);
            json.WriteNumber("n_head", NHead);
            json.WriteNull("n_inner");
            json.WriteNumber("layer_norm_epsilon", LayerNormEpsilon);
            json.WriteString("activation_function", ActivationFunction);
            if (VocabSize == Gpt2EndOfText + 1)
            {
                json.WriteNumber("bos_token_id", Gpt2EndOfText);
                json.WriteNumber("eos_token_id", Gpt2EndOfText);
            }
            json.WriteBoolean("tie_word_embeddings", true);
            json.WriteString("torch_dtype", torchDType);
            json.WriteEndObject();
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Refuses to save what <see cref="Load"/> would refuse, so a saved model always loads.</summary>
    private void Validate()
    {
        if (VocabSize <= 0 || NPositions <= 0 || NEmbd <= 0 || NLayer <= 0 || NHead <= 0)
        {
            throw new InvalidOperationException($"invalid GPT-2 config {this}: sizes must be positive");
        }
        if (NEmbd % NHead != 0) throw new InvalidOperationException($"invalid GPT-2 config {this}: n_embd must be divisible by n_head");
        if (!(LayerNormEpsilon > 0) || !float.IsFinite(LayerNormEpsilon))
        {
            throw new InvalidOperationException($"invalid GPT-2 config {this}: layer_norm_epsilon must be positive");
        }
        if (!SupportedActivations.Contains(ActivationFunction))
        {
            throw new InvalidOperationException($"invalid GPT-2 config {this}: unsupported activation '{ActivationFunction}'");
        }
    }

    /// <summary>HF flags that change the math; refusing them beats silently computing a different model.</summary>
    private static void CheckUnsupportedVariants(string path, JsonElement root, int embd)
    {
        if (Present(root, "n_inner", out var inner)
            && !(inner.ValueKind == JsonValueKind.Number && inner.TryGetInt64(out var n) && n == 4L * embd))
        {
            throw new ModelFormatException($"{path}: key 'n_inner' is {inner.GetRawText()}; only null (4 * n_embd) is supported");
        }
        RequireFlag(path, root, "scale_attn_weights", expected: true);
        RequireFlag(path, root, "scale_attn_by_inverse_layer_idx", expected: false);
        RequireFlag(path, root, "add_cross_attention", expected: false);
    }

    private static void RequireFlag(string path, JsonElement root, string key, bool expected)
    {
        if (!Present(root, key, out var value)) return;
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw new ModelFormatException($"{path}: key '{key}' must be true or false, found {value.GetRawText()}");
        }
        if (value.GetBoolean() != expected)
        {
            throw new ModelFormatException($"{path}: key '{key}' = {value.GetRawText()} is not supported (only {(expected ? "true" : "false")})");
        }
    }

    private static int Positions(string path, JsonElement root)
    {
        var hasPositions = Present(root, "n_positions", out _);
        var hasCtx = Present(root, "n_ctx", out _);
        if (!hasPositions && !hasCtx) throw new ModelFormatException($"{path}: missing key 'n_positions' (or 'n_ctx')");
        if (hasPositions && hasCtx)
        {
            int positions = PositiveInt(path, root, "n_positions"), ctx = PositiveInt(path, root, "n_ctx");
            if (positions != ctx)
            {
                throw new ModelFormatException($"{path}: key 'n_positions' ({positions}) and key 'n_ctx' ({ctx}) disagree");
            }
            return positions;
        }
        return PositiveInt(path, root, hasPositions ? "n_positions" : "n_ctx");
    }

    private static int PositiveInt(string path, JsonElement root, string key)
    {
        if (!Present(root, key, out var value)) throw new ModelFormatException($"{path}: missing key '{key}'");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n))
        {
            throw new ModelFormatException($"{path}: key '{key}' must be an integer, found {value.GetRawText()}");
        }
        if (n <= 0) throw new ModelFormatException($"{path}: key '{key}' must be positive, found {n.ToString(CultureInfo.InvariantCulture)}");
        return n;
    }

    private static string? OptionalString(string path, JsonElement root, string key)
    {
        if (!Present(root, key, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new ModelFormatException($"{path}: key '{key}' must be a string, found {value.GetRawText()}");
        }
        return value.GetString();
    }

    /// <summary>True when the key exists with a non-null value (HF writes null for "use the default").</summary>
    private static bool Present(JsonElement root, string key, out JsonElement value) =>
        root.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;
}
