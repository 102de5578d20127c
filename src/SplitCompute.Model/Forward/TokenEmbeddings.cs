using System.Numerics.Tensors;
using SplitCompute.Model.Gpt2;

namespace SplitCompute.Model.Forward;

/// <summary>
/// GPT-2's input embeddings from host memory: hidden[b, t] = wte[ids[b, t]] + wpe[t], (B, T) -> (B, T, C). The CPU backend's
/// Embed, and the worker's answer to embeddings-only requests (k = 0), which need no device and so never wait in its queue.
/// </summary>
public static class TokenEmbeddings
{
    /// <exception cref="InvalidOperationException">The weights were loaded without the embedding tables.</exception>
    public static HiddenState Gather(Gpt2Weights weights, TokenBatch batch)
    {
        ArgumentNullException.ThrowIfNull(weights);
        LayerRange.ValidateBatch(weights.Config, batch);
        var wte = weights.TokenEmbedding ?? throw new InvalidOperationException("the model was loaded without its token embeddings (wte)");
        var wpe = weights.PositionEmbedding ?? throw new InvalidOperationException("the model was loaded without its position embeddings (wpe)");
        var c = weights.Config.NEmbd;
        var hidden = new HiddenState(batch, c, new float[(long)batch.BatchSize * batch.SequenceLength * c], 0);
        for (var b = 0; b < batch.BatchSize; b++)
        {
            var ids = batch.SequenceIds(b);
            for (var t = 0; t < batch.SequenceLength; t++)
            {
                TensorPrimitives.Add(wte.Span.Slice(ids[t] * c, c), wpe.Span.Slice(t * c, c), hidden.Row(b, t));
            }
        }
        return hidden;
    }
}
