using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Key lookups for requests: a record (or "no such key") read from Redis is reused for ApiKeyCacheSeconds, so a busy key costs
/// one Redis GET per replica per period and a revocation reaches every replica within it. When Redis cannot be read, the
/// last-known record is used however old (keys keep working through an outage, revocations made during it wait for it to
/// end); a key this replica has never seen cannot be verified then, and is answered 503, never let in.
/// </summary>
public sealed partial class ApiKeyCache(ApiKeyStore store, RedisConnector redis, IOptions<AccessOptions> options, TimeProvider time, ILogger<ApiKeyCache> logger)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _maxAge = TimeSpan.FromSeconds(options.Value.ApiKeyCacheSeconds);
    private readonly int _capacity = options.Value.ApiKeyCacheEntries;

    private sealed record Entry(ApiKeyRecord? Record, DateTimeOffset ReadAt);

    /// <summary>Looks up a key that passed <see cref="ApiKeys.LooksValid"/>.</summary>
    public async Task<KeyLookup> LookupAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeys.Hash(key);
        var now = time.GetUtcNow();
        var known = _entries.TryGetValue(hash, out var entry);
        if (known && now - entry!.ReadAt < _maxAge) return new KeyLookup(entry.Record, false, false);
        // Known down: don't make this request wait for a connect timeout when a last-known answer exists.
        if (known && !redis.IsConnected) return new KeyLookup(entry!.Record, false, true);
        try
        {
            var record = await store.FindAsync(hash, cancellationToken).ConfigureAwait(false);
            if (_entries.Count >= _capacity) _entries.Clear();  // bounded: unknown well-formed keys are cached too
            _entries[hash] = new Entry(record, now);
            return new KeyLookup(record, false, false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            LogLookupFailed(logger, ApiKeys.IdOf(hash), known, ex.Message);
            return known ? new KeyLookup(entry!.Record, false, true) : new KeyLookup(null, true, false);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "API key {KeyId}: Redis lookup failed ({Reason}); last-known record used: {Known}")]
    private static partial void LogLookupFailed(ILogger logger, string keyId, bool known, string reason);
}
