using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// API keys in Redis: one string per key at <see cref="KeyPrefix"/>{sha256}, holding an <see cref="ApiKeyRecord"/> as JSON,
/// with no TTL (keys live until revoked; revoked ones stay, marked, so `keys list` shows them). Used by the gateway for lookups
/// and by the `splitcompute keys` commands. New keys carry the deployment's MAC when <paramref name="mac"/> has a secret.
/// </summary>
public sealed class ApiKeyStore(RedisConnector redis, TimeProvider time, ApiKeyMac? mac = null)
{
    public const string KeyPrefix = "splitcompute:apikey:";
    public const int MaxNameLength = 64;

    /// <summary>Creates a key; returns the key itself (shown once, never stored) and its record.</summary>
    public async Task<(string Key, ApiKeyRecord Record)> CreateAsync(string name, int ratePerSecond, int maxConcurrent, CancellationToken cancellationToken = default) =>
        await CreateAsync(name, ratePerSecond, maxConcurrent, 0, 0, cancellationToken).ConfigureAwait(false);

    /// <summary>Creates a key with token limits too (0 = unlimited); returns the key itself (shown once, never stored) and its record.</summary>
    public async Task<(string Key, ApiKeyRecord Record)> CreateAsync(string name, int ratePerSecond, int maxConcurrent, int tokensPerMinute, int tokensInFlight,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !name.All(c => c is >= ' ' and <= '~'))
            throw new ArgumentException($"a key name is 1 to {MaxNameLength} printable ASCII characters; got '{name}'", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(maxConcurrent);
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerMinute);
        ArgumentOutOfRangeException.ThrowIfNegative(tokensInFlight);
        var key = (mac ?? ApiKeyMac.None).Generate();
        var hash = ApiKeys.Hash(key);
        var record = new ApiKeyRecord
        {
            Id = ApiKeys.IdOf(hash),
            Name = name,
            CreatedUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            RatePerSecond = ratePerSecond,
            MaxConcurrent = maxConcurrent,
            TokensPerMinute = tokensPerMinute,
            TokensInFlight = tokensInFlight,
        };
        // NX: 256 random bits never collide, but if they did, overwriting another key's record would be the worst outcome.
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        if (!await database.StringSetAsync(KeyPrefix + hash, record.ToJson(), when: When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false)) throw new InvalidOperationException($"API key hash {record.Id}... already exists in Redis; nothing was written");
        return (key, record);
    }

    /// <summary>The record of the key whose SHA-256 is <paramref name="hash"/>; null when there is none.</summary>
    public async Task<ApiKeyRecord?> FindAsync(string hash, CancellationToken cancellationToken = default)
    {
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        return ApiKeyRecord.TryParse((byte[]?)await database.StringGetAsync(KeyPrefix + hash).WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Every key's record, oldest first.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        var keys = await redis.ScanAsync(KeyPrefix + "*", 256, cancellationToken).ConfigureAwait(false);
        if (keys.Count == 0) return [];
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        var values = await database.StringGetAsync([.. keys]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. values.Select(v => ApiKeyRecord.TryParse((byte[]?)v)).OfType<ApiKeyRecord>().OrderBy(r => r.CreatedUnixMs).ThenBy(r => r.Id, StringComparer.Ordinal)];
    }

    /// <summary>Marks the key with public id <paramref name="id"/> revoked; null when no key has that id.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!ApiKeys.IsValidId(id)) throw new ArgumentException($"a key id is {ApiKeys.IdLength} lowercase hex characters (see `keys list`); got '{id}'", nameof(id));
        var matches = await redis.ScanAsync(KeyPrefix + id + "*", 256, cancellationToken).ConfigureAwait(false);
        if (matches.Count == 0) return null;
        if (matches.Count > 1) throw new InvalidOperationException($"{matches.Count} keys share id {id}; revoke refused rather than guess");
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        var record = ApiKeyRecord.TryParse((byte[]?)await database.StringGetAsync(matches[0]).WaitAsync(cancellationToken).ConfigureAwait(false))
            ?? throw new InvalidOperationException($"the record of key {id} in Redis is not valid JSON of an API key");
        var revoked = record with { Revoked = true, RevokedUnixMs = record.RevokedUnixMs ?? time.GetUtcNow().ToUnixTimeMilliseconds() };
        await database.StringSetAsync(matches[0], revoked.ToJson()).WaitAsync(cancellationToken).ConfigureAwait(false);
        return revoked;
    }
}
