using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SplitCompute.Model.Init;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Tokenization.Bert;

namespace SplitCompute.Model.Encoders;

/// <summary>
/// Writes a seeded BERT-family sentence encoder in sentence-transformers' layout (issue 22): config.json, model.safetensors
/// (BertModel's parameters initialised as transformers' BertPreTrainedModel does: N(0, initializer_range) for matrices and
/// embeddings, the padding row of the word embeddings zero, zero biases, unit LayerNorm gains), BERT-Base, Uncased's vocab.txt
/// with its tokenizer_config.json, modules.json, 1_Pooling/config.json, 2_Normalize, sentence_bert_config.json and
/// config_sentence_transformers.json, so <see cref="SentenceTransformerLayout.Load"/> and sentence-transformers both read it.
/// </summary>
public static class RandomEncoderWriter
{
    private const float Std = 0.02f;

    /// <param name="prompts">Prompts for config_sentence_transformers.json and whether pooling includes them; none by default.</param>
    public static void Write(string directory, EncoderPreset preset, ulong seed, EncoderPrompts? prompts = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        prompts ??= EncoderPrompts.None;
        var c = preset.Config;
        Directory.CreateDirectory(directory);
        var writer = new SafeTensorsWriter(new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["splitcompute.seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["splitcompute.preset"] = preset.Name,
        });
        foreach (var (name, shape) in BertTensorNames.All(c))
        {
            var (mean, std) = name switch
            {
                _ when name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) => (1f, 0f),
                _ when name.EndsWith(".bias", StringComparison.Ordinal) => (0f, 0f),
                _ => (0f, Std),
            };
            writer.Add(name, TensorDType.F32, shape, bytes =>
            {
                RandomModelWriter.Fill(bytes, TensorDType.F32, seed, name, mean, std);
                if (name == "embeddings.word_embeddings.weight") bytes.Slice(c.PadTokenId * c.HiddenSize * sizeof(float), c.HiddenSize * sizeof(float)).Clear();
            });
        }
        writer.Write(Path.Combine(directory, "model.safetensors"));

        Json(Path.Combine(directory, "config.json"), new JsonObject
        {
            ["architectures"] = new JsonArray("BertModel"), ["model_type"] = c.ModelType, ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.HiddenSize, ["num_hidden_layers"] = c.NumLayers, ["num_attention_heads"] = c.NumHeads,
            ["intermediate_size"] = c.IntermediateSize, ["max_position_embeddings"] = c.MaxPositions, ["type_vocab_size"] = c.TypeVocabSize,
            ["layer_norm_eps"] = c.LayerNormEpsilon, ["pad_token_id"] = c.PadTokenId, ["hidden_act"] = "gelu",
            ["position_embedding_type"] = "absolute", ["initializer_range"] = Std, ["hidden_dropout_prob"] = 0.1,
            ["attention_probs_dropout_prob"] = 0.1, ["torch_dtype"] = "float32",
        });
        WordPieceTokenizer.WriteBertBaseUncasedVocabulary(Path.Combine(directory, "vocab.txt"));
        Json(Path.Combine(directory, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer", ["do_lower_case"] = true, ["model_max_length"] = preset.MaxSequenceLength,
        });
        var modules = new JsonArray(Module(0, "", "sentence_transformers.models.Transformer"), Module(1, "1_Pooling", "sentence_transformers.models.Pooling"));
        if (preset.Normalize) modules.Add(Module(2, "2_Normalize", "sentence_transformers.models.Normalize"));
        Json(Path.Combine(directory, "modules.json"), modules);
        Directory.CreateDirectory(Path.Combine(directory, "1_Pooling"));
        Json(Path.Combine(directory, "1_Pooling", "config.json"), new JsonObject
        {
            ["word_embedding_dimension"] = c.HiddenSize,
            ["pooling_mode_cls_token"] = preset.Pooling == SentencePooling.Cls,
            ["pooling_mode_mean_tokens"] = preset.Pooling == SentencePooling.Mean,
            ["pooling_mode_max_tokens"] = preset.Pooling == SentencePooling.Max,
            ["pooling_mode_mean_sqrt_len_tokens"] = false, ["include_prompt"] = prompts.IncludePrompt,
        });
        if (preset.Normalize) Directory.CreateDirectory(Path.Combine(directory, "2_Normalize"));
        Json(Path.Combine(directory, "sentence_bert_config.json"), new JsonObject { ["max_seq_length"] = preset.MaxSequenceLength, ["do_lower_case"] = false });
        Json(Path.Combine(directory, "config_sentence_transformers.json"), new JsonObject
        {
            ["prompts"] = new JsonObject(prompts.Prompts.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["default_prompt_name"] = prompts.DefaultPromptName, ["similarity_fn_name"] = "cosine",
        });
    }

    private static JsonObject Module(int index, string path, string type) => new()
    {
        ["idx"] = index, ["name"] = index.ToString(CultureInfo.InvariantCulture), ["path"] = path, ["type"] = type,
    };

    private static void Json(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
