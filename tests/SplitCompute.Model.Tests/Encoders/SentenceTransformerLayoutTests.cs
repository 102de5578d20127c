using SplitCompute.Model.Encoders;

namespace SplitCompute.Model.Tests.Encoders;

/// <summary>
/// Model directories in sentence-transformers' layout (issue 22), written here as those models publish them (the files of
/// all-MiniLM-L6-v2, bge-small-en-v1.5 and an E5-style model with prompts), and the ways a layout is refused.
/// </summary>
public sealed class SentenceTransformerLayoutTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("st-layout-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private const string MiniLmConfig = """
        {"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
         "gradient_checkpointing": false, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02,
         "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
         "num_hidden_layers": 6, "pad_token_id": 0, "position_embedding_type": "absolute", "transformers_version": "4.8.2", "type_vocab_size": 2,
         "use_cache": true, "vocab_size": 30522}
        """;

    private const string ThreeModules = """
        [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
         {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
         {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
        """;

    private static string Pooling(string mode, int width = 384, string extra = "") => $$"""
        {"word_embedding_dimension": {{width}}, "pooling_mode_cls_token": {{(mode == "cls" ? "true" : "false")}},
         "pooling_mode_mean_tokens": {{(mode == "mean" ? "true" : "false")}}, "pooling_mode_max_tokens": {{(mode == "max" ? "true" : "false")}},
         "pooling_mode_mean_sqrt_len_tokens": false{{extra}}}
        """;

    private string Model(string name, string config, string modules, string pooling, string? sentenceBert = null, string? stConfig = null)
    {
        var dir = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        File.WriteAllText(Path.Combine(dir, "config.json"), config);
        File.WriteAllText(Path.Combine(dir, "modules.json"), modules);
        File.WriteAllText(Path.Combine(dir, "1_Pooling", "config.json"), pooling);
        if (sentenceBert is not null) File.WriteAllText(Path.Combine(dir, "sentence_bert_config.json"), sentenceBert);
        if (stConfig is not null) File.WriteAllText(Path.Combine(dir, "config_sentence_transformers.json"), stConfig);
        return dir;
    }

    [Fact]
    public void All_MiniLM_L6_v2_loads_as_mean_pooled_normalised_6_x_384()
    {
        var dir = Model("minilm", MiniLmConfig, ThreeModules, Pooling("mean"), """{"max_seq_length": 256, "do_lower_case": false}""",
            """{"__version__": {"sentence_transformers": "2.0.0", "transformers": "4.6.1", "pytorch": "1.8.1"}}""");
        var layout = SentenceTransformerLayout.Load(dir);
        Assert.Equal(("bert", 6, 384, 12, 32, 1536), (layout.Config.ModelType, layout.Config.NumLayers, layout.Config.HiddenSize, layout.Config.NumHeads, layout.Config.HeadDim, layout.Config.IntermediateSize));
        Assert.Equal((SentencePooling.Mean, true, 256, 0), (layout.Pooling, layout.Normalize, layout.MaxSequenceLength, layout.Prompts.Count));
        Assert.Equal(1e-12f, layout.Config.LayerNormEpsilon);
    }

    [Fact]
    public void BGE_small_is_CLS_pooled_and_an_E5_style_model_carries_its_prompts()
    {
        var bgeConfig = MiniLmConfig.Replace("\"num_hidden_layers\": 6", "\"num_hidden_layers\": 12", StringComparison.Ordinal);
        var bge = SentenceTransformerLayout.Load(Model("bge", bgeConfig, ThreeModules, Pooling("cls", extra: ", \"include_prompt\": true"),
            """{"max_seq_length": 512, "do_lower_case": true}"""));
        Assert.Equal((SentencePooling.Cls, true, 512, 12), (bge.Pooling, bge.Normalize, bge.MaxSequenceLength, bge.Config.NumLayers));

        var e5 = SentenceTransformerLayout.Load(Model("e5", MiniLmConfig, ThreeModules, Pooling("mean", extra: ", \"include_prompt\": false"), null,
            """{"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": "query", "similarity_fn_name": "cosine"}"""));
        Assert.Equal("query: ", e5.Prompts["query"]);
        Assert.Equal("query", e5.DefaultPromptName);
        Assert.False(e5.PoolingIncludesPrompt);
        Assert.Equal(512, e5.MaxSequenceLength);  // no sentence_bert_config.json: the model's positions
    }

    [Fact]
    public void RoBERTa_positions_start_after_the_padding_index()
    {
        var roberta = MiniLmConfig.Replace("\"model_type\": \"bert\"", "\"model_type\": \"xlm-roberta\"", StringComparison.Ordinal)
            .Replace("\"max_position_embeddings\": 512", "\"max_position_embeddings\": 514", StringComparison.Ordinal)
            .Replace("\"pad_token_id\": 0", "\"pad_token_id\": 1", StringComparison.Ordinal);
        var layout = SentenceTransformerLayout.Load(Model("xlmr", roberta, ThreeModules, Pooling("mean")));
        Assert.Equal((2, 512), (layout.Config.PositionOffset, layout.MaxSequenceLength));
    }

    [Fact]
    public void What_is_not_implemented_is_refused_naming_the_file()
    {
        var dense = ThreeModules.Replace("sentence_transformers.models.Normalize", "sentence_transformers.models.Dense", StringComparison.Ordinal);
        var ex = Assert.Throws<InvalidDataException>(() => SentenceTransformerLayout.Load(Model("dense", MiniLmConfig, dense, Pooling("mean"))));
        Assert.Contains("modules.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Dense", ex.Message, StringComparison.Ordinal);

        var two = Pooling("mean").Replace("\"pooling_mode_cls_token\": false", "\"pooling_mode_cls_token\": true", StringComparison.Ordinal);
        ex = Assert.Throws<InvalidDataException>(() => SentenceTransformerLayout.Load(Model("two", MiniLmConfig, ThreeModules, two)));
        Assert.Contains(Path.Combine("1_Pooling", "config.json"), ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<InvalidDataException>(() => SentenceTransformerLayout.Load(Model("long", MiniLmConfig, ThreeModules, Pooling("mean"), """{"max_seq_length": 1024}""")));
        Assert.Contains("max_seq_length 1024", ex.Message, StringComparison.Ordinal);

        var tanh = MiniLmConfig.Replace("\"hidden_act\": \"gelu\"", "\"hidden_act\": \"gelu_new\"", StringComparison.Ordinal);
        ex = Assert.Throws<InvalidDataException>(() => SentenceTransformerLayout.Load(Model("tanh", tanh, ThreeModules, Pooling("mean"))));
        Assert.Contains("hidden_act", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<InvalidDataException>(() => SentenceTransformerLayout.Load(Model("width", MiniLmConfig, ThreeModules, Pooling("mean", width: 768))));
        Assert.Contains("word_embedding_dimension 768", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<InvalidDataException>(() => SentenceTransformerLayout.Load(Path.Combine(_root, "missing")));
        Assert.Contains("config.json", ex.Message, StringComparison.Ordinal);
    }
}
