using System.Globalization;
using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Per-key request limits shared by every gateway replica through Redis: requests in flight as each replica's share of the
/// key's concurrency limit (<see cref="SharedHolds"/>: a hash of replica -> units, on Redis's clock), requests per second as
/// grants out of a fixed one-second window counter (<see cref="SharedBudgets"/>: INCRBY, PEXPIRE on the window's first grant).
/// Small limits are asked of Redis on every request (exact); from <see cref="ChunkedFrom"/> on, a replica takes a 32nd of the
/// limit at a time and decides in memory until it is spent, so a busy key costs Redis one call per many requests.
/// </summary>
public sealed class RedisKeyLimiter : IDisposable
{
    public const string RateKeyPrefix = "splitcompute:limit:rate:";
    public const string ConcurrencyKeyPrefix = "splitcompute:limit:concurrency:";

    /// <summary>Limits from which replicas take shares in chunks instead of one request at a time.</summary>
    public const long ChunkedFrom = 256;

    // KEYS[1]: the window counter. ARGV: rate, want, least. Grants want, or all that is left if that is at least least, or none.
    // Returns {granted, ms until the window ends, left after the grant} (the window's end is also when asking again can help).
    private const string RateScript = """
        local rate = tonumber(ARGV[1])
        local want = tonumber(ARGV[2])
        local least = tonumber(ARGV[3])
        local left = math.max(0, rate - tonumber(redis.call('GET', KEYS[1]) or '0'))
        local grant = 0
        if left >= want then grant = want elseif left >= least then grant = left end
        if grant > 0 and redis.call('INCRBY', KEYS[1], grant) == grant then redis.call('PEXPIRE', KEYS[1], 1000) end
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl == -1 then redis.call('PEXPIRE', KEYS[1], 1000) end
        if ttl < 0 then ttl = 1000 end
        return {grant, ttl, left - grant}
        """;

    private readonly SharedHolds _slots;
    private readonly SharedBudgets _rate;

    public RedisKeyLimiter(RedisConnector redis)
    {
        _slots = new SharedHolds(redis);
        _rate = new SharedBudgets(async (key, state, request) =>
        {
            var result = await RedisScripts.RunAsync(redis, RateScript, key, [state.Limit, request.Want, request.Least], 3, "rate").ConfigureAwait(false);
            return new SharedBudgets.Grant(result[0], result[1], result[2], result[1]);
        });
    }

    /// <summary>Throws what <see cref="RedisFailure.Is"/> accepts when Redis cannot be asked; the caller falls back.</summary>
    public Task<LimitDecision> TryAcquireAsync(ApiKeyRecord key, TimeSpan leaseTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return AdmissionWait.AwaitAsync(AcquireAsync(key, leaseTime), cancellationToken);
    }

    private async Task<LimitDecision> AcquireAsync(ApiKeyRecord key, TimeSpan leaseTime)
    {
        IAsyncDisposable lease = LimitDecision.NoLease.Instance;
        if (key.MaxConcurrent > 0)
        {
            var slot = await _slots.AcquireAsync(ConcurrencyKeyPrefix + key.Id, key.MaxConcurrent,
                Math.Min(1_024, SharedHolds.ChunkOf(key.MaxConcurrent, ChunkedFrom)), 1, leaseTime).ConfigureAwait(false);
            if (!slot.Admitted) return LimitDecision.Refuse("concurrency", ConcurrencyReason(key), 1);
            lease = slot.Lease;
        }
        if (key.RatePerSecond <= 0) return LimitDecision.Allow(lease);
        try
        {
            var spent = await _rate.SpendAsync(RateKeyPrefix + key.Id, new(key.RatePerSecond),
                Math.Min(4_096, SharedHolds.ChunkOf(key.RatePerSecond, ChunkedFrom)), 1).ConfigureAwait(false);
            if (spent.Spent) return LimitDecision.Allow(lease);
            await lease.DisposeAsync().ConfigureAwait(false);
            return LimitDecision.Refuse("rate", RateReason(key), Math.Max(1, (int)Math.Ceiling(spent.ValidMs / 1000.0)));
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    internal static string RateReason(ApiKeyRecord key) =>
        string.Create(CultureInfo.InvariantCulture, $"API key {key.Id} is over its rate limit of {key.RatePerSecond} requests per second");

    internal static string ConcurrencyReason(ApiKeyRecord key) =>
        string.Create(CultureInfo.InvariantCulture, $"API key {key.Id} already has {key.MaxConcurrent} requests in flight (its concurrency limit)");

    public void Dispose() => _slots.Dispose();
}
