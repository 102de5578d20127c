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

    /// <summary>
    /// Input tokens per minute to the embeddings endpoints across all gateway replicas (a bucket refilled continuously, as
    /// OpenAI's TPM); 0 = unlimited. Requests are what a client sends, tokens are what a GPU spends: a key holding its request
    /// limits can still send few huge requests.
    /// </summary>
    [JsonPropertyName("tokens_per_minute")] public int TokensPerMinute { get; init; }

    /// <summary>Input tokens of the key's embeddings requests running at once across all gateway replicas; 0 = unlimited.</summary>
    [JsonPropertyName("tokens_in_flight")] public int TokensInFlight { get; init; }

    /// <summary>`keys create`'s defaults: about 16k tokens a second, and two full batches of 16 x 1024-token inputs at once.</summary>
    public const int DefaultTokensPerMinute = 1_000_000;
    public const int DefaultTokensInFlight = 32_768;

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
            return record is { RatePerSecond: >= 0, MaxConcurrent: >= 0, TokensPerMinute: >= 0, TokensInFlight: >= 0 } && ApiKeys.IsValidId(record.Id) ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
