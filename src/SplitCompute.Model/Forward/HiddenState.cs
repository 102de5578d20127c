namespace SplitCompute.Model.Forward;

/// <summary>
/// The residual stream between layers: (B, T, C) floats in host memory, row-major, with the batch it belongs to.
/// <see cref="LayersDone"/> records how many transformer blocks have been applied, so a split can be checked.
/// </summary>
public sealed class HiddenState
{
    public HiddenState(TokenBatch batch, int channels, float[] data, int layersDone)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegative(layersDone);
        long expected = (long)batch.BatchSize * batch.SequenceLength * channels;
        if (data.LongLength != expected)
            throw new ArgumentException($"hidden state has {data.LongLength} floats, expected B*T*C = {batch.BatchSize}*{batch.SequenceLength}*{channels}", nameof(data));
        Batch = batch;
        Channels = channels;
        Data = data;
        LayersDone = layersDone;
    }

    public TokenBatch Batch { get; }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>(B, T, C).</summary>
    public float[] Data { get; }

    /// <summary>Blocks [0, LayersDone) have been applied.</summary>
    public int LayersDone { get; set; }

    /// <summary>Row (b, t) of length C.</summary>
    public Span<float> Row(int b, int t) => Data.AsSpan(((b * Batch.SequenceLength) + t) * Channels, Channels);
}
