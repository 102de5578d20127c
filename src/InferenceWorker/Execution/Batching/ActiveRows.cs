using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// Drops the rows that have left a staged pass: keeps the first sequences and the first tokens of each. Exact, because padding
/// is on the right only: every kept sequence's real tokens lie within the kept T, attention is causal (no kept position sees a
/// dropped one) and everything else is row-wise.
/// Legend: B sequences, T tokens, C channels.
/// </summary>
public static class ActiveRows
{
    /// <summary>(B, T, C) -> (<paramref name="sequences"/>, <paramref name="tokens"/>, C); the same object when nothing is dropped.</summary>
    public static HiddenState Keep(HiddenState hidden, int sequences, int tokens)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var (b, t, c) = (hidden.Batch.BatchSize, hidden.Batch.SequenceLength, hidden.Channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequences);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequences, b);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, t);
        if (sequences == b && tokens == t) return hidden;
        var ids = new int[sequences * tokens];
        var mask = new byte[ids.Length];
        var data = new float[(long)sequences * tokens * c];
        for (var s = 0; s < sequences; s++)
        {
            var dropped = hidden.Batch.SequenceMask(s)[tokens..];
            if (dropped.ContainsAnyExcept((byte)0))
                throw new ArgumentException($"sequence {s} has real tokens beyond position {tokens}: only right padding may be dropped", nameof(tokens));
            hidden.Batch.SequenceIds(s)[..tokens].CopyTo(ids.AsSpan(s * tokens));
            hidden.Batch.SequenceMask(s)[..tokens].CopyTo(mask.AsSpan(s * tokens));
            hidden.Data.AsSpan(s * t * c, tokens * c).CopyTo(data.AsSpan(s * tokens * c));
        }
        return new HiddenState(new TokenBatch(sequences, tokens, ids, mask), c, data, hidden.LayersDone);
    }
}
