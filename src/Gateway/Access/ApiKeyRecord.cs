using System.Text.Json;
using System.Text.Json.Serialization;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// What Redis holds for one API key, under <see cref="ApiKeyStore.KeyPrefix"/>{sha256 of the key}. The key itself is never
/// stored. Limits of 0 mean unlimited.
/// </summary>
public sealed record ApiKeyRecord
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("created_unix_ms")] public long CreatedUnixMs { get; init; }

    /// <summary>Requests per second to POST /v1/embeddings across all gateway replicas; 0 = unlimited.</summary>
    [JsonPropertyName("rate_per_second")] public int RatePerSecond { get; init; }

    /// <summary>Embeddings requests in flight at once across all gateway replicas; 0 = unlimited.</summary>
    [JsonPropertyName("max_concurrent")] public int MaxConcurrent { get; init; }

    [JsonPropertyName("revoked")] public bool Revoked { get; init; }
    [JsonPropertyName("revoked_unix_ms")] public long? RevokedUnixMs { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Null when the stored value is not a record of this shape (a bad entry is treated as an unknown key).</summary>
    public static ApiKeyRecord? TryParse(byte[]? json)
    {
        if (json is null) return null;
        try
        {
            var record = JsonSerializer.Deserialize<ApiKeyRecord>(json);
            return record is { RatePerSecond: >= 0, MaxConcurrent: >= 0 } && ApiKeys.IsValidId(record.Id) ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
