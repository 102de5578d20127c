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
        // Scratch from the shared pool: a block would otherwise allocate ~7 R C floats, and the collections of those large
        // arrays cost more than the block's products at B = 8 (measured).
        var pool = System.Buffers.ArrayPool<float>.Shared;
        var (q, k, v, context) = (pool.Rent(r * c), pool.Rent(r * c), pool.Rent(r * c), pool.Rent(r * c));
        var hidden = pool.Rent(r * inner);
        try
        {
            Linear(s.Data, r, p + "attention.self.query", c, c, q);                  // (R, C)
            Linear(s.Data, r, p + "attention.self.key", c, c, k);
            Linear(s.Data, r, p + "attention.self.value", c, c, v);
            Attention(s, q, k, v, context);                                            // (R, C)
            Linear(context, r, p + "attention.output.dense", c, c, q);               // q is free again: the attention output
            TensorPrimitives.Add(q.AsSpan(0, r * c), s.Data, s.Data);                 // residual, then post-LN
            LayerNormRows(s.Data, r, p + "attention.output.LayerNorm");
            Linear(s.Data, r, p + "intermediate.dense", c, inner, hidden);           // (R, I)
            GeluInPlace(hidden.AsSpan(0, r * inner));
            Linear(hidden, r, p + "output.dense", inner, c, k);                       // (R, C)
            TensorPrimitives.Add(k.AsSpan(0, r * c), s.Data, s.Data);
            LayerNormRows(s.Data, r, p + "output.LayerNorm");
        }
        finally
        {
            foreach (var array in new[] { q, k, v, context, hidden }) pool.Return(array);
        }
    }

    /// <summary>
    /// softmax(q k^T / sqrt(D)) v per sequence and head, over the sequence's real keys only (the padding mask): two sgemm per
    /// (sequence, head) straight on the (R, C) arrays (head h is columns [h D, (h+1) D), row stride C), softmax between them.
    /// </summary>
    private void Attention(HiddenState s, float[] q, float[] k, float[] v, float[] context)
    {
        var (batch, positions) = (s.Batch.BatchSize, s.Batch.SequenceLength);
        var (c, h, d) = (Config.HiddenSize, Config.NumHeads, Config.HeadDim);
        var scale = 1f / MathF.Sqrt(d);
        context.AsSpan(0, batch * positions * c).Clear();                             // a sequence without keys gets zeros
        var scores = new float[positions * positions];                                 // (T, keys)
        fixed (float* pq = q)
        fixed (float* pk = k)
        fixed (float* pv = v)
        fixed (float* po = context)
        fixed (float* ps = scores)
        {
            for (var b = 0; b < batch; b++)
            {
                var keys = 0;
                var mask = s.Batch.SequenceMask(b);
                while (keys < positions && mask[keys] == 1) keys++;  // right-padded: real keys are a prefix
                if (keys == 0) continue;                            // no key: zeros, as every backend
                var rowsOffset = (long)b * positions * c;
                for (var head = 0; head < h; head++)
                {
                    var column = rowsOffset + (head * d);
                    OpenBlas.Sgemm(positions, keys, d, scale, pq + column, c, pk + column, c, 0f, ps, keys, transB: true);  // (T, D) (keys, D)^T
                    for (var i = 0; i < positions; i++)
                    {
                        var row = new Span<float>(ps + ((long)i * keys), keys);
                        TensorPrimitives.SoftMax(row, row);
                    }
                    OpenBlas.Sgemm(positions, d, keys, 1f, ps, keys, pv + column, c, 0f, po + column, c);                      // (T, keys) (keys, D)
                }
            }
        }
    }

    private const int GeluChunk = 4096;

    /// <summary>The exact GELU over <paramref name="x"/> in place, vectorised, in chunks across the cores (<see cref="GeluChunkInPlace"/>).</summary>
    private static unsafe void GeluInPlace(Span<float> x)
    {
        var chunks = (x.Length + GeluChunk - 1) / GeluChunk;
        var length = x.Length;
        fixed (float* data = x)
        {
            var p = (nint)data;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, chunk =>
            {
                var start = chunk * GeluChunk;
                GeluChunkInPlace(new Span<float>((float*)p + start, Math.Min(GeluChunk, length - start)));
            });
        }
    }

    /// <summary>0.5 x (1 + erf(x / sqrt 2)), erf by Abramowitz and Stegun 7.1.26 as <see cref="Erf"/> (|error| &lt;= 1.5e-7).</summary>
    private static void GeluChunkInPlace(Span<float> values)
    {
        var n = values.Length;
        Span<float> scratch = stackalloc float[2 * GeluChunk];
        var t = scratch[..n];
        var e = scratch.Slice(GeluChunk, n);
        TensorPrimitives.Abs(values, e);
        TensorPrimitives.Multiply(e, 0.70710678f, e);                // e = |u|, u = x / sqrt 2
        TensorPrimitives.Multiply(e, 0.3275911f, t);                 // t = 1 / (1 + p |u|)
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Reciprocal(t, t);
        TensorPrimitives.Multiply(e, e, e);                          // e = exp(-u^2)
        TensorPrimitives.Negate(e, e);
        TensorPrimitives.Exp(e, e);
        Span<float> poly = stackalloc float[n];
        TensorPrimitives.Multiply(t, 1.061405429f, poly);            // Horner: ((((a5 t + a4) t + a3) t + a2) t + a1) t
        TensorPrimitives.Add(poly, -1.453152027f, poly);
        TensorPrimitives.MultiplyAdd(poly, t, 1.421413741f, poly);
        TensorPrimitives.MultiplyAdd(poly, t, -0.284496736f, poly);
        TensorPrimitives.MultiplyAdd(poly, t, 0.254829592f, poly);
        TensorPrimitives.Multiply(poly, t, poly);
        TensorPrimitives.Multiply(poly, e, poly);
        TensorPrimitives.Subtract(1f, poly, poly);                   // |erf(u)|
        TensorPrimitives.CopySign(poly, values, poly);               // erf(u): u has x's sign
        TensorPrimitives.Add(poly, 1f, poly);
        TensorPrimitives.Multiply(poly, values, poly);
        TensorPrimitives.Multiply(poly, 0.5f, values);
    }

    /// <summary>y = x W^T + b for PyTorch's (out, in) weight into the first rows x out floats of <paramref name="y"/>, (rows, in) -> (rows, out).</summary>
    private void Linear(float[] x, int rows, string name, int inWidth, int outWidth, float[] y)
    {
        var weight = W(name + ".weight", outWidth, inWidth);
        var bias = W(name + ".bias", outWidth);
        var biasSpan = new ReadOnlySpan<float>(bias.Pointer, outWidth);
        for (var row = 0; row < rows; row++) biasSpan.CopyTo(y.AsSpan(row * outWidth, outWidth));
        fixed (float* a = x)
        fixed (float* result = y)
        {
            OpenBlas.Sgemm(rows, outWidth, inWidth, 1f, a, inWidth, weight.Pointer, inWidth, 1f, result, outWidth, transB: true);
        }
    }

    private void LayerNormRows(float[] x, int rows, string name)
    {
        var c = Config.HiddenSize;
        var gamma = new ReadOnlySpan<float>(W(name + ".weight", c).Pointer, c);
        var beta = new ReadOnlySpan<float>(W(name + ".bias", c).Pointer, c);
        var centred = new float[c];
        for (var row = 0; row < rows; row++)
        {
            var span = x.AsSpan(row * c, c);
            var mean = TensorPrimitives.Sum(span) / c;
            TensorPrimitives.Subtract(span, mean, centred);                          // two passes: mean, then the centred squares
            var inv = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(centred) / c) + Config.LayerNormEpsilon);
            TensorPrimitives.Multiply(centred, inv, centred);
            TensorPrimitives.MultiplyAdd(centred, gamma, beta, span);
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
        var result = Pooler.Pool(state, pooling.ToPooling(), leadingExcluded);
        if (normalize)
        {
            foreach (var vector in result) TensorPrimitives.Divide(vector, MathF.Max(TensorPrimitives.Norm(vector), 1e-12f), vector);
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
