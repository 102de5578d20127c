using System.Numerics;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// The padded shape a batch runs at: batch and tokens rounded up to powers of two (tokens at least <see cref="MinTokens"/>,
/// at most n_positions), so a few captured graphs and workspaces serve every request. Padding is exact, not approximate:
/// padded positions have mask 0, so no real query attends to them, and every other operation is row-wise.
/// </summary>
public readonly record struct ShapeBucket(int Batch, int Tokens)
{
    public const int MinTokens = 16;

    public int Rows => Batch * Tokens;

    public static ShapeBucket For(int batch, int tokens, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        if (tokens > maxTokens) throw new ArgumentOutOfRangeException(nameof(tokens), $"{tokens} tokens exceed n_positions = {maxTokens}");
        var t = Math.Min(Math.Max(MinTokens, (int)BitOperations.RoundUpToPowerOf2((uint)tokens)), maxTokens);
        return new ShapeBucket((int)BitOperations.RoundUpToPowerOf2((uint)batch), t);
    }

    public override string ToString() => $"{Batch}x{Tokens}";
}
