using System.Text.Json.Serialization;

namespace SplitCompute.Protocol.Manifests;

/// <summary>
/// Source-generated (reflection-free, trimming-safe) JSON for the manifest. Property names are pinned with
/// [JsonPropertyName]; the snake_case policy is only a safety net. Nullable annotations are enforced so a
/// missing or null required field is an error rather than a silent null.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false,
    NumberHandling = JsonNumberHandling.Strict,
    MaxDepth = 16)]
[JsonSerializable(typeof(ShardManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext
{
}
