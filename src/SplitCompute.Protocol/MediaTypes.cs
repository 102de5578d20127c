namespace SplitCompute.Protocol;

/// <summary>Content types of the binary formats, for Accept / Content-Type negotiation.</summary>
public static class MediaTypes
{
    /// <summary>A hidden-state (or finished-embeddings) frame, see docs/protocol.md.</summary>
    public const string HiddenState = "application/vnd.splitcompute.hidden-state";

    /// <summary>A shard manifest as a standalone JSON document.</summary>
    public const string ShardManifest = "application/vnd.splitcompute.shard-manifest+json";

    /// <summary>A shard manifest signed by the gateway (<see cref="Manifests.SignedManifest"/>), as JSON.</summary>
    public const string SignedManifest = "application/vnd.splitcompute.signed-manifest+json";
}
