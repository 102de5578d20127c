namespace SplitCompute.Model.Forward;

/// <summary>
/// A batch of token-id sequences laid out as (B, T) with an attention mask: mask[b, t] = 1 where the token is real.
/// Sequences of different lengths are right-padded with id 0 and mask 0, as Hugging Face does.
/// </summary>
public sealed class TokenBatch
{
    private readonly int[] _ids;    // (B, T)
    private readonly byte[] _mask;  // (B, T), 1 = real token

    public TokenBatch(int batchSize, int sequenceLength, int[] ids, byte[] mask)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        if (ids.Length != batchSize * sequenceLength)
            throw new ArgumentException($"ids has {ids.Length} entries, expected B*T = {batchSize}*{sequenceLength}", nameof(ids));
        if (mask.Length != ids.Length)
            throw new ArgumentException($"mask has {mask.Length} entries, expected B*T = {ids.Length}", nameof(mask));
        for (var b = 0; b < batchSize; b++)
        {
            if (!mask.AsSpan(b * sequenceLength, sequenceLength).ContainsAnyExcept((byte)0))
                throw new ArgumentException($"sequence {b} has no valid token (its mask is all zero)", nameof(mask));
        }
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        _ids = ids;
        _mask = mask;
    }

    /// <summary>B.</summary>
    public int BatchSize { get; }

    /// <summary>T: the padded length of every sequence.</summary>
    public int SequenceLength { get; }

    public ReadOnlySpan<int> Ids => _ids;

    public ReadOnlySpan<byte> Mask => _mask;

    public ReadOnlySpan<int> SequenceIds(int b) => _ids.AsSpan(b * SequenceLength, SequenceLength);

    public ReadOnlySpan<byte> SequenceMask(int b) => _mask.AsSpan(b * SequenceLength, SequenceLength);

    /// <summary>Number of positions whose mask is 1 in sequence <paramref name="b"/>.</summary>
    public int ValidCount(int b) => SequenceLength - System.MemoryExtensions.Count(SequenceMask(b), (byte)0);

    /// <summary>Right-pads the sequences to the longest one.</summary>
    public static TokenBatch FromSequences(IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("at least one sequence is required", nameof(sequences));
        var t = 0;
        for (var b = 0; b < sequences.Count; b++)
        {
            if (sequences[b].Length == 0) throw new ArgumentException($"sequence {b} is empty", nameof(sequences));
            t = Math.Max(t, sequences[b].Length);
        }
        var ids = new int[sequences.Count * t];
        var mask = new byte[ids.Length];
        for (var b = 0; b < sequences.Count; b++)
        {
            sequences[b].CopyTo(ids, b * t);
            mask.AsSpan(b * t, sequences[b].Length).Fill(1);
        }
        return new TokenBatch(sequences.Count, t, ids, mask);
    }
}
