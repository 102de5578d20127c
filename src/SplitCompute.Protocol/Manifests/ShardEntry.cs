using System.Text.Json.Serialization;

namespace SplitCompute.Protocol.Manifests;

/// <summary>
/// One downloadable weight shard: a safetensors file holding the tensors of one transformer layer (or the final norm).
/// Content-addressed: <see cref="Url"/> ends in <see cref="Sha256"/>, so a client that holds the hash never downloads it again.
/// </summary>
public sealed record ShardEntry
{
    /// <summary>"layer" (with <see cref="Layer"/>) or "final_norm" (without).</summary>
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>Transformer block index for kind "layer"; null (omitted) for the final norm.</summary>
    [JsonPropertyName("layer")]
    public int? Layer { get; init; }

    /// <summary>Relative URL, resolved against the gateway that sent the manifest, e.g. "/v1/shards/{sha256}".</summary>
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    /// <summary>Lowercase hex SHA-256 of the shard file's bytes.</summary>
    [JsonPropertyName("sha256")]
    public required string Sha256 { get; init; }

    /// <summary>Size of the shard file in bytes.</summary>
    [JsonPropertyName("bytes")]
    public required long Bytes { get; init; }

    /// <summary>Element type of the tensors in the shard: "f32", "f16" or "bf16".</summary>
    [JsonPropertyName("dtype")]
    public required string DType { get; init; }

    /// <summary>Tensor names inside the shard file, e.g. "h.6.attn.c_attn.weight".</summary>
    [JsonPropertyName("tensors")]
    public required IReadOnlyList<string> Tensors { get; init; }

    // Records compare lists by reference; compare their contents so equal manifests are equal.
    public bool Equals(ShardEntry? other) =>
        other is not null && Kind == other.Kind && Layer == other.Layer && Url == other.Url && Sha256 == other.Sha256
        && Bytes == other.Bytes && DType == other.DType && Tensors.SequenceEqual(other.Tensors);

    public override int GetHashCode() => HashCode.Combine(Kind, Layer, Sha256, Bytes);
}
