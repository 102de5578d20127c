using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// A key's token limits shared by every gateway replica, charged once the request's tokens are known (after tokenization; the
/// request limits are checked before the body is read, see <see cref="RedisKeyLimiter"/>). Tokens per minute: a bucket holding
/// up to the limit, refilled continuously at limit/60 s (OpenAI's TPM), as two hash fields (tokens left, when) on Redis's
/// clock, out of which replicas take grants (<see cref="SharedBudgets"/>). Tokens in flight: each replica's share of the
/// limit (<see cref="SharedHolds"/>). A request is charged to both or to neither: a refusal by the bucket gives its in-flight
/// tokens back. Small limits are asked of Redis on every request (exact); from <see cref="ChunkedFrom"/> on, in chunks of a 32nd.
/// </summary>
public sealed class RedisTokenLimiter : IDisposable
{
    public const string BucketKeyPrefix = "splitcompute:limit:tpm:";
    public const string InFlightKeyPrefix = "splitcompute:limit:tif:";

    /// <summary>Token limits from which replicas take shares in chunks instead of one request at a time.</summary>
    public const long ChunkedFrom = 100_000;

    // KEYS[1]: the bucket. ARGV: tokens per minute, want, least, give back. Grants want, or all that is left if that is at least
    // least, or none; a grant is valid for a second. Returns {granted, valid ms, left after the grant, ms until least fits}.
    private const string BucketScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tpm = tonumber(ARGV[1])
        local want = tonumber(ARGV[2])
        local least = tonumber(ARGV[3])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
        local left = tonumber(state[1]) or tpm
        local last = tonumber(state[2]) or now
        if now > last then left = left + (now - last) * tpm / 60000 end
        left = math.min(tpm, left + tonumber(ARGV[4]))
        local grant = 0
        if left >= want then grant = want elseif left >= least then grant = math.floor(left) end
        left = left - grant
        redis.call('HSET', KEYS[1], 'tokens', string.format('%.3f', left), 'ms', now)
        redis.call('PEXPIRE', KEYS[1], 60000)
        local askAgain = 0
        if least > left then askAgain = math.ceil((least - left) * 60000 / tpm) end
        return {grant, 1000, math.floor(left), askAgain}
        """;

    private readonly SharedHolds _inFlight;
    private readonly SharedBudgets _bucket;

    public RedisTokenLimiter(RedisConnector redis)
    {
        _inFlight = new SharedHolds(redis);
        _bucket = new SharedBudgets(async (key, state, request) =>
        {
            var result = await RedisScripts.RunAsync(redis, BucketScript, key, [state.Limit, request.Want, request.Least, request.GiveBack], 4, "token bucket")
                .ConfigureAwait(false);
            return new SharedBudgets.Grant(result[0], result[1], result[2], result[3]);
        });
    }

    /// <summary>Throws what <see cref="RedisFailure.Is"/> accepts when Redis cannot be asked; the caller falls back.</summary>
    public Task<LimitDecision> TryReserveAsync(ApiKeyRecord key, long tokens, TimeSpan leaseTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        if ((key.TokensPerMinute > 0 && tokens > key.TokensPerMinute) || (key.TokensInFlight > 0 && tokens > key.TokensInFlight))
            return Task.FromResult(TokenLimits.TooLarge(key, tokens));
        return AdmissionWait.AwaitAsync(ReserveAsync(key, tokens, leaseTime), cancellationToken);
    }

    private async Task<LimitDecision> ReserveAsync(ApiKeyRecord key, long tokens, TimeSpan leaseTime)
    {
        IAsyncDisposable lease = LimitDecision.NoLease.Instance;
        if (key.TokensInFlight > 0)
        {
            var held = await _inFlight.AcquireAsync(InFlightKeyPrefix + key.Id, key.TokensInFlight,
                SharedHolds.ChunkOf(key.TokensInFlight, ChunkedFrom), tokens, leaseTime).ConfigureAwait(false);
            if (!held.Admitted) return TokenLimits.OverInFlight(key, tokens, held.HeldElsewhere);
            lease = held.Lease;
        }
        if (key.TokensPerMinute <= 0) return LimitDecision.Allow(lease);
        try
        {
            var spent = await _bucket.SpendAsync(BucketKeyPrefix + key.Id, new(key.TokensPerMinute),
                SharedHolds.ChunkOf(key.TokensPerMinute, ChunkedFrom * 10), tokens).ConfigureAwait(false);
            if (spent.Spent) return LimitDecision.Allow(lease);
            await lease.DisposeAsync().ConfigureAwait(false);
            return TokenLimits.OverPerMinute(key, tokens, (long)Math.Ceiling(spent.Missing * 60_000.0 / key.TokensPerMinute));
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Dispose() => _inFlight.Dispose();
}
