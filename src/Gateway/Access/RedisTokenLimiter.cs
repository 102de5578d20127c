using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// A key's token limits shared by every gateway replica, checked and charged in one Lua script once the request's tokens are
/// known (after tokenization; the request limits are checked before the body is read, see <see cref="RedisKeyLimiter"/>).
/// Tokens per minute: a bucket holding up to the limit, refilled continuously at limit/60 s (OpenAI's TPM), as two hash
/// fields (tokens left, when) on Redis's clock. Tokens in flight: a sorted set of leases "{id}:{tokens}" scored by expiry,
/// summed on each check (a key has few requests in flight); a lease leaves when its request ends, or expires with a crashed
/// gateway. A request is charged to both or to neither, atomically.
/// </summary>
public sealed class RedisTokenLimiter(RedisConnector redis)
{
    public const string BucketKeyPrefix = "splitcompute:limit:tpm:";
    public const string InFlightKeyPrefix = "splitcompute:limit:tif:";

    // Returns {0, 0} admitted; {1, ms until the bucket holds enough}; {2, tokens in flight now}; {3, 0} more than the TPM;
    // {4, 0} more than the in-flight limit (neither can ever admit it).
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tpm = tonumber(ARGV[1])
        local tif = tonumber(ARGV[2])
        local cost = tonumber(ARGV[3])
        if tpm > 0 and cost > tpm then return {3, 0} end
        if tif > 0 and cost > tif then return {4, 0} end
        local left = 0
        if tpm > 0 then
          local state = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
          left = tonumber(state[1]) or tpm
          local last = tonumber(state[2]) or now
          if now > last then left = math.min(tpm, left + (now - last) * tpm / 60000) end
          if left < cost then return {1, math.ceil((cost - left) * 60000 / tpm)} end
        end
        if tif > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
          local used = 0
          for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
            used = used + (tonumber(string.match(member, ':(%d+)$')) or 0)
          end
          if used + cost > tif then return {2, used} end
          redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[5] .. ':' .. cost)
          redis.call('PEXPIRE', KEYS[2], ARGV[4])
        end
        if tpm > 0 then
          redis.call('HSET', KEYS[1], 'tokens', string.format('%.3f', left - cost), 'ms', now)
          redis.call('PEXPIRE', KEYS[1], 60000)
        end
        return {0, 0}
        """;

    /// <summary>Throws what <see cref="RedisFailure.Is"/> accepts when Redis cannot be asked; the caller falls back.</summary>
    public async Task<LimitDecision> TryReserveAsync(ApiKeyRecord key, long tokens, TimeSpan leaseTime, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        var leaseId = Guid.NewGuid().ToString("N");
        var inFlightKey = InFlightKeyPrefix + key.Id;
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        var reply = await database.ScriptEvaluateAsync(Script, [BucketKeyPrefix + key.Id, inFlightKey],
            [key.TokensPerMinute, key.TokensInFlight, tokens, (long)leaseTime.TotalMilliseconds, leaseId]).WaitAsync(cancellationToken).ConfigureAwait(false);
        var result = reply.Resp2Type == ResultType.Array && reply.Length == 2 ? (long[])reply! : null;
        if (result is null) throw new RedisException($"unexpected reply to the token limit script of key {key.Id}: {reply}");
        return result[0] switch
        {
            0 => LimitDecision.Allow(key.TokensInFlight > 0 ? new Lease(database, inFlightKey, $"{leaseId}:{tokens}") : LimitDecision.NoLease.Instance),
            1 => TokenLimits.OverPerMinute(key, tokens, result[1]),
            2 => TokenLimits.OverInFlight(key, tokens, result[1]),
            _ => TokenLimits.TooLarge(key, tokens),
        };
    }

    private sealed class Lease(IDatabase database, string key, string member) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await database.SortedSetRemoveAsync(key, member).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailure.Is(ex))
            {
                // The lease expires by itself (ConcurrencyLeaseSeconds); nothing else to do.
            }
        }
    }
}
