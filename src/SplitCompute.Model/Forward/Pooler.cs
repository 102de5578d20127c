namespace SplitCompute.Model.Forward;

/// <summary>Pools final (normed) hidden states into one embedding per sequence. Backend-independent, so every path pools alike.</summary>
public static class Pooler
{
    /// <summary>(B, T, C) -> B rows of C.</summary>
    /// <param name="leadingExcluded">
    /// Mean and max leave out each sequence's first positions ([CLS] and a prompt's tokens, for a sentence encoder that pools
    /// without its prompt, as sentence-transformers masks them); cls and last ignore it.
    /// </param>
    public static float[][] Pool(HiddenState hidden, Pooling pooling, int leadingExcluded = 0)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var batch = hidden.Batch;
        var result = new float[batch.BatchSize][];
        for (var b = 0; b < batch.BatchSize; b++)
        {
            var output = new float[hidden.Channels];
            var mask = batch.SequenceMask(b);
            if (pooling == Pooling.Last)
            {
                hidden.Row(b, mask.LastIndexOf((byte)1)).CopyTo(output);
            }
            else if (pooling == Pooling.Cls)
            {
                hidden.Row(b, 0).CopyTo(output);
            }
            else if (pooling == Pooling.Max)
            {
                output.AsSpan().Fill(float.NegativeInfinity);
                for (var t = leadingExcluded; t < batch.SequenceLength; t++)
                {
                    if (mask[t] == 1) System.Numerics.Tensors.TensorPrimitives.Max(output, hidden.Row(b, t), output);
                }
            }
            else
            {
                // Sum in double so long sequences do not lose precision, then divide once.
                var sum = new double[hidden.Channels];
                var count = 0;
                for (var t = leadingExcluded; t < batch.SequenceLength; t++)
                {
                    if (mask[t] == 0) continue;
                    var row = hidden.Row(b, t);
                    for (var c = 0; c < row.Length; c++) sum[c] += row[c];
                    count++;
                }
                for (var c = 0; c < output.Length; c++) output[c] = count == 0 ? 0f : (float)(sum[c] / count);  // nothing left: zeros, as sentence-transformers
            }
            result[b] = output;
        }
        return result;
    }
}
