namespace SplitCompute.Gateway.Planning;

/// <summary>
/// What the planner needs to know about one model revision: its shape and, per tail layer, the shard a client must hold.
/// <see cref="LayerShardHashes"/>[l] and <see cref="LayerShardBytes"/>[l] describe layer l's shard in the hidden-state dtype.
/// </summary>
public sealed record ModelProfile(
    string Model, string Revision, int Layers, int Channels,
    IReadOnlyList<string> LayerShardHashes, IReadOnlyList<long> LayerShardBytes,
    string? FinalNormHash, long FinalNormBytes)
{
    /// <summary>Length of the shard-name prefix a client may send instead of the full SHA-256 (docs/protocol.md).</summary>
    public const int ShardPrefixLength = 16;

    /// <summary>The first <see cref="ShardPrefixLength"/> characters of each layer's hash, cut once so planning allocates none.</summary>
    public IReadOnlyList<string> LayerShardPrefixes { get; } = [.. LayerShardHashes.Select(Prefix)];

    /// <summary>Null for a family without a final norm (post-LayerNorm encoders).</summary>
    public string? FinalNormPrefix { get; } = FinalNormHash is null ? null : Prefix(FinalNormHash);

    private static string Prefix(string hash) => hash.Length >= ShardPrefixLength ? hash[..ShardPrefixLength] : hash;

    /// <summary>Whether <paramref name="sha256"/> is one of this revision's layer shards or its final-norm shard.</summary>
    public bool Lists(string sha256) => (FinalNormHash is not null && FinalNormHash == sha256) || LayerShardHashes.Contains(sha256, StringComparer.Ordinal);
}
