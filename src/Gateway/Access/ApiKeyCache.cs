using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Caching;
using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Key lookups for requests: a record (or "no such key") read from Redis is reused for ApiKeyCacheSeconds, so a busy key costs
/// one Redis GET per replica per period and a revocation reaches every replica within it. When Redis cannot be read, the
/// last-known record is used however old (keys keep working through an outage, revocations made during it wait for it to
/// end); a key this replica has never seen cannot be verified then, and is answered 503, never let in. Known keys and keys Redis
/// does not know are remembered apart, each least-recently-used first out, so invented keys can only evict each other; with a
/// cluster secret, invented keys fail the key's MAC (<see cref="ApiKeyMac"/>) and are not looked up at all.
/// </summary>
public sealed partial class ApiKeyCache(ApiKeyStore store, RedisConnector redis, ApiKeyMac mac, IOptions<AccessOptions> options, TimeProvider time, ILogger<ApiKeyCache> logger)
{
    private readonly bool _checkMac = mac.Enabled && options.Value.RequireKeyMac;
    private readonly BoundedLru<string, Entry> _known = new(options.Value.ApiKeyCacheEntries);
    private readonly BoundedLru<string, DateTimeOffset> _unknown = new(options.Value.ApiKeyUnknownCacheEntries);
    private readonly TimeSpan _maxAge = TimeSpan.FromSeconds(options.Value.ApiKeyCacheSeconds);

    private sealed record Entry(ApiKeyRecord Record, DateTimeOffset ReadAt);

    /// <summary>Looks up a key that passed <see cref="ApiKeys.LooksValid"/>; one without this deployment's MAC is unknown at once, never looked up.</summary>
    public async Task<KeyLookup> LookupAsync(string key, CancellationToken cancellationToken)
    {
        if (_checkMac && !mac.Verifies(key)) return new KeyLookup(null, false, false);
        var hash = ApiKeys.Hash(key);
        var now = time.GetUtcNow();
        var known = _known.TryGet(hash, out var entry);
        if (known && now - entry.ReadAt < _maxAge) return new KeyLookup(entry.Record, false, false);
        if (!known && _unknown.TryGet(hash, out var refusedAt) && now - refusedAt < _maxAge) return new KeyLookup(null, false, false);
        // Known down: don't make this request wait for a connect timeout when a last-known answer exists.
        if (known && !redis.IsConnected) return new KeyLookup(entry.Record, false, true);
        try
        {
            var record = await store.FindAsync(hash, cancellationToken).ConfigureAwait(false);
            if (record is null)
            {
                _known.TryRemove(hash, out _);
                _unknown.Set(hash, now);
            }
            else
            {
                _unknown.TryRemove(hash, out _);
                _known.Set(hash, new Entry(record, now));
            }
            return new KeyLookup(record, false, false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            LogLookupFailed(logger, ApiKeys.IdOf(hash), known, ex.Message);
            return known ? new KeyLookup(entry.Record, false, true) : new KeyLookup(null, true, false);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "API key {KeyId}: Redis lookup failed ({Reason}); last-known record used: {Known}")]
    private static partial void LogLookupFailed(ILogger logger, string keyId, bool known, string reason);
}
