using System.Numerics.Tensors;
using SplitCompute.Model.Cpu;
using SplitCompute.Model.Forward;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Encoders;

/// <summary>
/// A BERT-family encoder on the CPU (issue 22), as Hugging Face's BertModel computes it, with a layer-range API like GPT-2's so a
/// request can split at any k: embeddings (word + position + token type, then LayerNorm), post-LayerNorm blocks with
/// bidirectional attention over the unpadded keys and the exact (erf) GELU, then cls / mean / max pooling and L2 normalisation.
/// Plain and unoptimised beside the GPT-2 backend (one sgemm per product, attention row by row); correctness first.
/// Legend: B sequences, T positions, C channels, H heads, D = C / H, I intermediate width, R = B * T rows.
/// </summary>
public sealed unsafe class BertCpuEncoder : ILayerRangeBackend
{
    private readonly Checkpoint _checkpoint;
    private readonly string _prefix;

    private readonly bool _embeds;

    private BertCpuEncoder(Checkpoint checkpoint, BertConfig config, string prefix, int firstLayer, bool embeds)
    {
        (_checkpoint, Config, _prefix, FirstLayer, _embeds) = (checkpoint, config, prefix, firstLayer, embeds);
        OpenBlas.EnsureLoaded();
        // Every tensor it will use read once now: a missing or misshapen one fails at load, naming it.
        var tensors = Enumerable.Range(firstLayer, config.NumLayers - firstLayer).SelectMany(l => BertTensorNames.Layer(config, l));
        if (embeds) tensors = BertTensorNames.Embeddings(config).Concat(tensors);
        foreach (var (name, shape) in tensors) _ = _checkpoint.ReadFloat32(prefix + name, shape);
    }

    /// <summary>The first block whose weights are bound (0 with the embeddings: the whole model; k: an edge's tail [k, N), no embeddings).</summary>
    public int FirstLayer { get; }

    /// <summary>The prefix the checkpoint's BertModel names carry ("", "bert." or "roberta."), or null when it has no BERT embeddings.</summary>
    public static string? PrefixOf(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new[] { "", "bert.", "roberta." }.FirstOrDefault(p => checkpoint.Contains(p + "embeddings.word_embeddings.weight"));
    }

    /// <summary>
    /// Binds blocks [<paramref name="firstLayer"/>, N) from <paramref name="checkpoint"/> (an edge's shard files, BertModel's names,
    /// no embeddings): a tail that runs layer ranges from there and pools, and never embeds. Takes ownership of the checkpoint.
    /// </summary>
    public static BertCpuEncoder BindTail(Checkpoint checkpoint, BertConfig config, int firstLayer)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegative(firstLayer);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstLayer, config.NumLayers);
        try
        {
            return new BertCpuEncoder(checkpoint, config, "", firstLayer, embeds: false);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    public BertConfig Config { get; }

    public string Name => "cpu";

    public LayerStackShape Shape => new(Config.NumLayers, Config.HiddenSize, Config.NumHeads, Config.MaxPositions - Config.PositionOffset, Config.VocabSize, Causal: false);

    /// <summary>Loads model.safetensors of <paramref name="directory"/>; parameter names with or without "bert." / "roberta.".</summary>
    public static BertCpuEncoder Load(string directory, BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var checkpoint = Checkpoint.Open(directory);
        try
        {
            var prefix = PrefixOf(checkpoint)
                ?? throw new ModelFormatException($"{directory}: no embeddings.word_embeddings.weight (with or without a bert./roberta. prefix): not a BERT-family checkpoint");
            return new BertCpuEncoder(checkpoint, config, prefix, firstLayer: 0, embeds: true);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    private WeightTensor W(string name, params long[] shape) => _checkpoint.ReadFloat32(_prefix + name, shape);

    /// <summary>A bound parameter by BertModel's name (no prefix), checked against <paramref name="shape"/>: what a GPU backend uploads.</summary>
    public WeightTensor Tensor(string name, params long[] shape) => W(name, shape);

    /// <summary>Embeddings of right-padded sequences (mask 1 = real token), (B, T) -> (B, T, C); token types all 0.</summary>
    public HiddenState Embed(TokenBatch batch) => Embed(batch, null);

    /// <summary>Embeds <paramref name="ids"/> right-padded, with token types (0: first sentence, 1: second) or all 0.</summary>
    public HiddenState Embed(int[][] ids, int[][]? tokenTypes = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length == 0 || ids.Any(s => s.Length == 0)) throw new ArgumentException("an encoder batch needs at least one sequence, and no empty one", nameof(ids));
        return Embed(TokenBatch.FromSequences(ids), tokenTypes);
    }

    private HiddenState Embed(TokenBatch batch, int[][]? tokenTypes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_embeds) throw new InvalidOperationException($"this encoder holds only blocks [{FirstLayer}, {Config.NumLayers}) (an edge's tail): it cannot embed");
        var c = Config.HiddenSize;
        var t = batch.SequenceLength;
        if (t + Config.PositionOffset > Config.MaxPositions)
            throw new ArgumentException($"a sequence of {t} tokens exceeds the model's {Config.MaxPositions - Config.PositionOffset} positions", nameof(batch));
        var state = new HiddenState(batch, c, new float[batch.BatchSize * t * c], 0);
        var (words, positions, types) = (W("embeddings.word_embeddings.weight", Config.VocabSize, c),
            W("embeddings.position_embeddings.weight", Config.MaxPositions, c), W("embeddings.token_type_embeddings.weight", Config.TypeVocabSize, c));
        for (var s = 0; s < batch.BatchSize; s++)
        {
            var ids = batch.SequenceIds(s);
            var mask = batch.SequenceMask(s);
            for (var p = 0; p < t && mask[p] == 1; p++)
            {
                var id = ids[p];
                var type = tokenTypes?[s][p] ?? 0;
                if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(batch), $"token id {id} (sequence {s}, position {p}) is outside the vocabulary [0, {Config.VocabSize})");
                if ((uint)type >= (uint)Config.TypeVocabSize) throw new ArgumentOutOfRangeException(nameof(tokenTypes), $"token type {type} (sequence {s}, position {p}) is outside [0, {Config.TypeVocabSize})");
                var row = state.Row(s, p);
                TensorPrimitives.Add(Span(words, id, c), Span(positions, Config.PositionOffset + p, c), row);
                TensorPrimitives.Add(row, Span(types, type, c), row);
            }
        }
        LayerNormRows(state.Data, batch.BatchSize * t, "embeddings.LayerNorm");
        return state;
    }

    /// <summary>Blocks [from, to) on the state, in place.</summary>
    public void RunLayers(HiddenState state, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (from < FirstLayer) throw new ArgumentOutOfRangeException(nameof(from), $"block {from} is not bound: this encoder holds [{FirstLayer}, {Config.NumLayers})");
        if (from != state.LayersDone || to < from || to > Config.NumLayers)
            throw new ArgumentOutOfRangeException(nameof(to), $"layers [{from}, {to}) do not follow the {state.LayersDone} done (the model has {Config.NumLayers})");
        for (var layer = from; layer < to; layer++)
        {
            Block(state, layer);
            state.LayersDone = layer + 1;
        }
    }

    /// <summary>Post-LayerNorm encoders end with their last block: nothing to apply.</summary>
    public void ApplyFinalNorm(HiddenState hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.LayersDone != Config.NumLayers) throw new InvalidOperationException($"the encoder's output needs all {Config.NumLayers} layers; {hidden.LayersDone} are done");
    }

    private void Block(HiddenState s, int layer)
    {
        var (c, r, inner) = (Config.HiddenSize, s.Batch.BatchSize * s.Batch.SequenceLength, Config.IntermediateSize);
        var p = $"encoder.layer.{layer}.";
        var q = Linear(s.Data, r, p + "attention.self.query", c, c);               // (R, C)
        var k = Linear(s.Data, r, p + "attention.self.key", c, c);
        var v = Linear(s.Data, r, p + "attention.self.value", c, c);
        var context = Attention(s, q, k, v);                                          // (R, C)
        var attended = Linear(context, r, p + "attention.output.dense", c, c);
        TensorPrimitives.Add(attended, s.Data, s.Data);                           // residual, then post-LN
        LayerNormRows(s.Data, r, p + "attention.output.LayerNorm");
        var hidden = Linear(s.Data, r, p + "intermediate.dense", c, inner);         // (R, I)
        for (var i = 0; i < hidden.Length; i++) hidden[i] = Gelu(hidden[i]);
        var output = Linear(hidden, r, p + "output.dense", inner, c);                 // (R, C)
        TensorPrimitives.Add(output, s.Data, s.Data);
        LayerNormRows(s.Data, r, p + "output.LayerNorm");
    }

    /// <summary>softmax(q k^T / sqrt(D)) v per sequence and head, over the sequence's real keys only (the padding mask).</summary>
    private float[] Attention(HiddenState s, float[] q, float[] k, float[] v)
    {
        var (batch, positions) = (s.Batch.BatchSize, s.Batch.SequenceLength);
        var (c, h) = (Config.HiddenSize, Config.NumHeads);
        var d = Config.HeadDim;
        var scale = 1f / MathF.Sqrt(d);
        var context = new float[q.Length];
        var scores = new float[positions];
        for (var b = 0; b < batch; b++)
        {
            var keys = 0;
            while (keys < positions && s.Batch.SequenceMask(b)[keys] == 1) keys++;  // right-padded: real keys are a prefix
            for (var head = 0; head < h; head++)
            {
                for (var i = 0; i < positions; i++)
                {
                    var qi = q.AsSpan((((b * positions) + i) * c) + (head * d), d);
                    for (var j = 0; j < keys; j++) scores[j] = TensorPrimitives.Dot(qi, k.AsSpan((((b * positions) + j) * c) + (head * d), d)) * scale;
                    var row = scores.AsSpan(0, keys);
                    TensorPrimitives.SoftMax(row, row);
                    var out_ = context.AsSpan((((b * positions) + i) * c) + (head * d), d);
                    for (var j = 0; j < keys; j++)
                        TensorPrimitives.MultiplyAdd(v.AsSpan((((b * positions) + j) * c) + (head * d), d), row[j], out_, out_);
                }
            }
        }
        return context;
    }

    /// <summary>x W^T + b for PyTorch's (out, in) weight: (rows, in) -> (rows, out).</summary>
    private float[] Linear(float[] x, int rows, string name, int inWidth, int outWidth)
    {
        var weight = W(name + ".weight", outWidth, inWidth);
        var bias = W(name + ".bias", outWidth);
        var y = new float[rows * outWidth];
        var biasSpan = new ReadOnlySpan<float>(bias.Pointer, outWidth);
        for (var row = 0; row < rows; row++) biasSpan.CopyTo(y.AsSpan(row * outWidth, outWidth));
        fixed (float* a = x)
        fixed (float* result = y)
        {
            OpenBlas.Sgemm(rows, outWidth, inWidth, 1f, a, inWidth, weight.Pointer, inWidth, 1f, result, outWidth, transB: true);
        }
        return y;
    }

    private void LayerNormRows(float[] x, int rows, string name)
    {
        var c = Config.HiddenSize;
        var gamma = new ReadOnlySpan<float>(W(name + ".weight", c).Pointer, c);
        var beta = new ReadOnlySpan<float>(W(name + ".bias", c).Pointer, c);
        for (var row = 0; row < rows; row++)
        {
            var span = x.AsSpan(row * c, c);
            var mean = TensorPrimitives.Sum(span) / c;
            var variance = 0f;
            foreach (var value in span) variance += (value - mean) * (value - mean);
            var inv = 1f / MathF.Sqrt((variance / c) + Config.LayerNormEpsilon);
            for (var i = 0; i < c; i++) span[i] = ((span[i] - mean) * inv * gamma[i]) + beta[i];
        }
    }

    /// <summary>
    /// One vector per sequence: [CLS], the mean or the maximum over its real tokens; L2-normalised when asked. Mean and max skip the
    /// first <paramref name="leadingExcluded"/> positions ([CLS] and a prompt's tokens when the model pools without its prompt, as
    /// sentence-transformers masks them); [CLS] pooling reads position 0 regardless, as sentence-transformers does.
    /// </summary>
    public float[][] Pool(HiddenState state, SentencePooling pooling, bool normalize, int leadingExcluded = 0)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.LayersDone != Config.NumLayers) throw new InvalidOperationException($"pooling needs all {Config.NumLayers} layers; {state.LayersDone} are done");
        var c = Config.HiddenSize;
        var result = new float[state.Batch.BatchSize][];
        for (var b = 0; b < state.Batch.BatchSize; b++)
        {
            var vector = result[b] = new float[c];
            var count = 0;
            for (var p = 0; p < state.Batch.SequenceLength; p++)
            {
                if (pooling == SentencePooling.Cls && p > 0) break;
                if (state.Batch.SequenceMask(b)[p] == 0 || (pooling != SentencePooling.Cls && p < leadingExcluded)) continue;
                var row = state.Row(b, p);
                if (pooling == SentencePooling.Max && count > 0) TensorPrimitives.Max(vector, row, vector);
                else TensorPrimitives.Add(vector, row, vector);
                count++;
            }
            if (pooling == SentencePooling.Mean && count > 0) TensorPrimitives.Divide(vector, count, vector);
            if (normalize) TensorPrimitives.Divide(vector, MathF.Max(TensorPrimitives.Norm(vector), 1e-12f), vector);
        }
        return result;
    }

    private static ReadOnlySpan<float> Span(WeightTensor tensor, int row, int width) => new(tensor.Pointer + ((long)row * width), width);

    /// <summary>The exact GELU, x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 (BERT's "gelu", not GPT-2's tanh form).</summary>
    internal static float Gelu(float x) => 0.5f * x * (1f + Erf(x * 0.70710678f));

    /// <summary>erf within 1.5e-7 (Abramowitz and Stegun 7.1.26, in double): .NET has no erf, and GELU needs no more.</summary>
    internal static float Erf(float x)
    {
        var sign = MathF.Sign(x);
        var a = Math.Abs((double)x);
        var t = 1.0 / (1.0 + (0.3275911 * a));
        var y = 1.0 - ((((((1.061405429 * t) - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-a * a);
        return sign * (float)y;
    }

    public void Dispose() => _checkpoint.Dispose();
}
