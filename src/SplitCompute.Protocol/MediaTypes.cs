namespace SplitCompute.Protocol;

/// <summary>Content types of the binary formats, for Accept / Content-Type negotiation.</summary>
public static class MediaTypes
{
    /// <summary>A hidden-state (or finished-embeddings) frame, see docs/protocol.md.</summary>
    public const string HiddenState = "application/vnd.splitcompute.hidden-state";

    /// <summary>
    /// The Accept parameter (<c>pool-from=1</c> on <see cref="HiddenState"/>) by which a client says it honours a hidden frame's
    /// <c>pool_from</c> (leading positions left out of pooling). A worker splits a request whose model pools without its prompt
    /// only for such a client: an older one would ignore the field and pool the prompt in, silently.
    /// </summary>
    public const string PoolFromParameter = "pool-from";

    /// <summary>Whether one of <paramref name="acceptValues"/> accepts <see cref="HiddenState"/> with <see cref="PoolFromParameter"/>=1.</summary>
    public static bool AcceptsPoolFrom(IEnumerable<string?> acceptValues)
    {
        ArgumentNullException.ThrowIfNull(acceptValues);
        foreach (var value in acceptValues)
        {
            if (value is null) continue;
            foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (System.Net.Http.Headers.MediaTypeWithQualityHeaderValue.TryParse(entry, out var media)
                    && string.Equals(media.MediaType, HiddenState, StringComparison.OrdinalIgnoreCase)
                    && media.Parameters.Any(p => string.Equals(p.Name, PoolFromParameter, StringComparison.OrdinalIgnoreCase) && p.Value == "1"))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>A shard manifest as a standalone JSON document.</summary>
    public const string ShardManifest = "application/vnd.splitcompute.shard-manifest+json";

    /// <summary>A shard manifest signed by the gateway (<see cref="Manifests.SignedManifest"/>), as JSON.</summary>
    public const string SignedManifest = "application/vnd.splitcompute.signed-manifest+json";
}
