namespace SplitCompute.Model.Forward;

/// <summary>
/// A backend that runs one batch once and hands out several requests' rows at different depths without the hidden state
/// leaving the device in between: what batching requests with a split point k each needs on a GPU (one upload, the blocks up
/// to the deepest k, and only each request's own rows copied back, at its k).
/// </summary>
public interface IMultiExitBackend : ILayerRangeBackend
{
    /// <summary>
    /// Embeds <paramref name="batch"/> (B, T) and, for each exit in order, returns the rows (Count, T, C) of sequences
    /// [First, First + Count) after blocks [0, K), with the final norm applied when K = n_layer. Exits cover disjoint sequences.
    /// </summary>
    float[][] RunToExits(TokenBatch batch, IReadOnlyList<LayerExit> exits);
}

/// <summary>Sequences [FirstSequence, FirstSequence + SequenceCount) of a batch leave after block K.</summary>
public readonly record struct LayerExit(int K, int FirstSequence, int SequenceCount);
