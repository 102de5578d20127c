namespace SplitCompute.Gateway.Planning;

/// <summary>
/// What the planner needs to know about one model revision: its shape and, per tail layer, the shard a client must hold.
/// <see cref="LayerShardHashes"/>[l] and <see cref="LayerShardBytes"/>[l] describe layer l's shard in the hidden-state dtype.
/// </summary>
public sealed record ModelProfile(
    string Model, string Revision, int Layers, int Channels,
    IReadOnlyList<string> LayerShardHashes, IReadOnlyList<long> LayerShardBytes,
    string FinalNormHash, long FinalNormBytes)
{
    /// <summary>Whether <paramref name="sha256"/> is one of this revision's layer shards or its final-norm shard.</summary>
    public bool Lists(string sha256) => FinalNormHash == sha256 || LayerShardHashes.Contains(sha256, StringComparer.Ordinal);
}
