using System.Globalization;
using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Per-key limits shared by every gateway replica through Redis, in one Lua script so the check and the update are atomic:
/// a fixed one-second window counter (INCR, PEXPIRE on the first request of the window) for the rate, and a sorted set of
/// leases scored by their expiry (Redis's own clock, so replicas' clocks do not matter) for concurrency. A lease is removed
/// when its request ends; one a crashed gateway never removed expires after ConcurrencyLeaseSeconds on its own. Requests of one
/// key that arrive while its previous check is in flight are checked together, each in turn, by one run of the script.
/// </summary>
public sealed class RedisKeyLimiter
{
    public const string RateKeyPrefix = "splitcompute:limit:rate:";
    public const string ConcurrencyKeyPrefix = "splitcompute:limit:concurrency:";

    // ARGV: rate, concurrency, lease ms, then one lease id per request. Returns, per request, {0, 0} allowed; {1, ms until the
    // rate window ends}; {2, 0} concurrency full (flattened into one array).
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local rate = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        local leaseMs = tonumber(ARGV[3])
        local used = 0
        if limit > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
          used = redis.call('ZCARD', KEYS[2])
        end
        local out = {}
        local leased = false
        for i = 4, #ARGV do
          local code, value = 0, 0
          if rate > 0 then
            local n = redis.call('INCR', KEYS[1])
            if n == 1 then redis.call('PEXPIRE', KEYS[1], 1000) end
            if n > rate then
              local ttl = redis.call('PTTL', KEYS[1])
              if ttl < 0 then redis.call('PEXPIRE', KEYS[1], 1000) ttl = 1000 end
              code, value = 1, ttl
            end
          end
          if code == 0 and limit > 0 then
            if used >= limit then
              code = 2
            else
              redis.call('ZADD', KEYS[2], now + leaseMs, ARGV[i])
              used = used + 1
              leased = true
            end
          end
          out[#out + 1] = code
          out[#out + 1] = value
        end
        if leased then redis.call('PEXPIRE', KEYS[2], leaseMs) end
        return out
        """;

    private readonly RedisLeases _leases;
    private readonly RedisBatcher<Check, LimitDecision> _checks;

    public RedisKeyLimiter(RedisConnector redis)
    {
        _leases = new RedisLeases(redis);
        _checks = new RedisBatcher<Check, LimitDecision>(async (_, checks) =>
        {
            var key = checks[0].Key;
            var concurrencyKey = ConcurrencyKeyPrefix + key.Id;
            var database = await redis.DatabaseAsync().ConfigureAwait(false);
            // EVALSHA once the script is cached on the server (StackExchange.Redis falls back to EVAL on NOSCRIPT).
            var reply = await database.ScriptEvaluateAsync(Script, [RateKeyPrefix + key.Id, concurrencyKey],
                [key.RatePerSecond, key.MaxConcurrent, (long)checks[0].LeaseTime.TotalMilliseconds, .. checks.Select(c => (RedisValue)c.LeaseId)]).ConfigureAwait(false);
            var result = reply.Resp2Type == ResultType.Array && reply.Length == 2 * checks.Count ? (long[])reply! : null;
            if (result is null) throw new RedisException($"unexpected reply to the limit script of key {key.Id}: {reply}");
            return [.. checks.Select((check, i) => result[2 * i] switch
            {
                0 => LimitDecision.Allow(key.MaxConcurrent > 0 ? _leases.Lease(concurrencyKey, check.LeaseId) : LimitDecision.NoLease.Instance),
                1 => LimitDecision.Refuse("rate", RateReason(key), Math.Max(1, (int)Math.Ceiling(result[(2 * i) + 1] / 1000.0))),
                _ => LimitDecision.Refuse("concurrency", ConcurrencyReason(key), 1),
            })];
        });
    }

    /// <summary>Throws what <see cref="RedisFailure.Is"/> accepts when Redis cannot be asked; the caller falls back.</summary>
    public Task<LimitDecision> TryAcquireAsync(ApiKeyRecord key, TimeSpan leaseTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        // Batched by key id and limits, so every check in one script run has the same limits.
        var batch = string.Create(CultureInfo.InvariantCulture, $"{key.Id}:{key.RatePerSecond}:{key.MaxConcurrent}:{leaseTime.Ticks}");
        return RedisLeases.AwaitAsync(_checks.Enqueue(batch, new Check(key, leaseTime, Guid.NewGuid().ToString("N"))), cancellationToken);
    }

    internal static string RateReason(ApiKeyRecord key) =>
        string.Create(CultureInfo.InvariantCulture, $"API key {key.Id} is over its rate limit of {key.RatePerSecond} requests per second");

    internal static string ConcurrencyReason(ApiKeyRecord key) =>
        string.Create(CultureInfo.InvariantCulture, $"API key {key.Id} already has {key.MaxConcurrent} requests in flight (its concurrency limit)");

    private sealed record Check(ApiKeyRecord Key, TimeSpan LeaseTime, string LeaseId);
}
