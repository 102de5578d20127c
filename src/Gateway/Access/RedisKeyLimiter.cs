using System.Globalization;
using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Per-key limits shared by every gateway replica through Redis, in one Lua script so the check and the update are atomic:
/// a fixed one-second window counter (INCR, PEXPIRE on the first request of the window) for the rate, and a sorted set of
/// leases scored by their expiry (Redis's own clock, so replicas' clocks do not matter) for concurrency. A lease is removed
/// when its request ends; one a crashed gateway never removed expires after ConcurrencyLeaseSeconds on its own.
/// </summary>
public sealed class RedisKeyLimiter(RedisConnector redis)
{
    public const string RateKeyPrefix = "splitcompute:limit:rate:";
    public const string ConcurrencyKeyPrefix = "splitcompute:limit:concurrency:";

    // Returns {0, 0} allowed; {1, ms until the rate window ends}; {2, 0} concurrency full.
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local rate = tonumber(ARGV[1])
        if rate > 0 then
          local n = redis.call('INCR', KEYS[1])
          if n == 1 then redis.call('PEXPIRE', KEYS[1], 1000) end
          if n > rate then
            local ttl = redis.call('PTTL', KEYS[1])
            if ttl < 0 then redis.call('PEXPIRE', KEYS[1], 1000) ttl = 1000 end
            return {1, ttl}
          end
        end
        local limit = tonumber(ARGV[2])
        if limit > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
          if redis.call('ZCARD', KEYS[2]) >= limit then return {2, 0} end
          redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4])
          redis.call('PEXPIRE', KEYS[2], ARGV[3])
        end
        return {0, 0}
        """;

    /// <summary>Throws what <see cref="RedisFailure.Is"/> accepts when Redis cannot be asked; the caller falls back.</summary>
    public async Task<LimitDecision> TryAcquireAsync(ApiKeyRecord key, TimeSpan leaseTime, CancellationToken cancellationToken)
    {
        var leaseId = Guid.NewGuid().ToString("N");
        var concurrencyKey = ConcurrencyKeyPrefix + key.Id;
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        // EVALSHA once the script is cached on the server (StackExchange.Redis falls back to EVAL on NOSCRIPT).
        var reply = await database.ScriptEvaluateAsync(Script, [RateKeyPrefix + key.Id, concurrencyKey],
            [key.RatePerSecond, key.MaxConcurrent, (long)leaseTime.TotalMilliseconds, leaseId]).WaitAsync(cancellationToken).ConfigureAwait(false);
        var result = reply.Resp2Type == ResultType.Array && reply.Length == 2 ? (long[])reply! : null;
        if (result is null) throw new RedisException($"unexpected reply to the limit script of key {key.Id}: {reply}");
        return result[0] switch
        {
            0 => LimitDecision.Allow(key.MaxConcurrent > 0 ? new Lease(database, concurrencyKey, leaseId) : LimitDecision.NoLease.Instance),
            1 => LimitDecision.Refuse("rate", RateReason(key), Math.Max(1, (int)Math.Ceiling(result[1] / 1000.0))),
            _ => LimitDecision.Refuse("concurrency", ConcurrencyReason(key), 1),
        };
    }

    internal static string RateReason(ApiKeyRecord key) =>
        string.Create(CultureInfo.InvariantCulture, $"API key {key.Id} is over its rate limit of {key.RatePerSecond} requests per second");

    internal static string ConcurrencyReason(ApiKeyRecord key) =>
        string.Create(CultureInfo.InvariantCulture, $"API key {key.Id} already has {key.MaxConcurrent} requests in flight (its concurrency limit)");

    private sealed class Lease(IDatabase database, string key, string id) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await database.SortedSetRemoveAsync(key, id).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailure.Is(ex))
            {
                // The lease expires by itself (ConcurrencyLeaseSeconds); nothing else to do.
            }
        }
    }
}
