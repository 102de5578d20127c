namespace SplitCompute.Model.Encoders;

/// <summary>
/// Parameter names and shapes of Hugging Face's BertModel as sentence-transformers saves it (no "bert." prefix; a checkpoint of
/// BertForMaskedLM etc. has one, which a loader strips). PyTorch Linear weights are (out, in).
/// </summary>
public static class BertTensorNames
{
    public static IEnumerable<(string Name, long[] Shape)> Embeddings(BertConfig c) =>
    [
        ("embeddings.word_embeddings.weight", [c.VocabSize, c.HiddenSize]),
        ("embeddings.position_embeddings.weight", [c.MaxPositions, c.HiddenSize]),
        ("embeddings.token_type_embeddings.weight", [c.TypeVocabSize, c.HiddenSize]),
        ("embeddings.LayerNorm.weight", [c.HiddenSize]),
        ("embeddings.LayerNorm.bias", [c.HiddenSize]),
    ];

    public static IEnumerable<(string Name, long[] Shape)> Layer(BertConfig c, int layer)
    {
        var p = $"encoder.layer.{layer}.";
        long h = c.HiddenSize, i = c.IntermediateSize;
        return
        [
            (p + "attention.self.query.weight", [h, h]), (p + "attention.self.query.bias", [h]),
            (p + "attention.self.key.weight", [h, h]), (p + "attention.self.key.bias", [h]),
            (p + "attention.self.value.weight", [h, h]), (p + "attention.self.value.bias", [h]),
            (p + "attention.output.dense.weight", [h, h]), (p + "attention.output.dense.bias", [h]),
            (p + "attention.output.LayerNorm.weight", [h]), (p + "attention.output.LayerNorm.bias", [h]),
            (p + "intermediate.dense.weight", [i, h]), (p + "intermediate.dense.bias", [i]),
            (p + "output.dense.weight", [h, i]), (p + "output.dense.bias", [h]),
            (p + "output.LayerNorm.weight", [h]), (p + "output.LayerNorm.bias", [h]),
        ];
    }

    public static IEnumerable<(string Name, long[] Shape)> All(BertConfig c) =>
        Embeddings(c).Concat(Enumerable.Range(0, c.NumLayers).SelectMany(l => Layer(c, l)));
}
