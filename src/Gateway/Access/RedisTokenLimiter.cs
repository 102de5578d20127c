using System.Globalization;
using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// A key's token limits shared by every gateway replica, checked and charged in one Lua script once the request's tokens are
/// known (after tokenization; the request limits are checked before the body is read, see <see cref="RedisKeyLimiter"/>).
/// Tokens per minute: a bucket holding up to the limit, refilled continuously at limit/60 s (OpenAI's TPM), as two hash
/// fields (tokens left, when) on Redis's clock. Tokens in flight: a sorted set of leases "{id}:{tokens}" scored by expiry,
/// summed on each check (a key has few requests in flight); a lease leaves when its request ends, or expires with a crashed
/// gateway. A request is charged to both or to neither, atomically. Requests of one key that arrive while its previous check
/// is in flight are charged together, each in turn, by one run of the script.
/// </summary>
public sealed class RedisTokenLimiter
{
    public const string BucketKeyPrefix = "splitcompute:limit:tpm:";
    public const string InFlightKeyPrefix = "splitcompute:limit:tif:";

    // ARGV: tokens per minute, tokens in flight, lease ms, then (cost, lease id) per request. Returns, per request (flattened):
    // {0, 0} admitted; {1, ms until the bucket holds enough}; {2, tokens in flight now}; {3, 0} more than the TPM;
    // {4, 0} more than the in-flight limit (neither can ever admit it).
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tpm = tonumber(ARGV[1])
        local tif = tonumber(ARGV[2])
        local leaseMs = tonumber(ARGV[3])
        local left = 0
        if tpm > 0 then
          local state = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
          left = tonumber(state[1]) or tpm
          local last = tonumber(state[2]) or now
          if now > last then left = math.min(tpm, left + (now - last) * tpm / 60000) end
        end
        local used = 0
        if tif > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
          for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
            used = used + (tonumber(string.match(member, ':(%d+)$')) or 0)
          end
        end
        local out = {}
        local leased = false
        for i = 4, #ARGV, 2 do
          local cost = tonumber(ARGV[i])
          local code, value = 0, 0
          if tpm > 0 and cost > tpm then code = 3
          elseif tif > 0 and cost > tif then code = 4
          elseif tpm > 0 and left < cost then code, value = 1, math.ceil((cost - left) * 60000 / tpm)
          elseif tif > 0 and used + cost > tif then code, value = 2, used
          else
            if tif > 0 then
              redis.call('ZADD', KEYS[2], now + leaseMs, ARGV[i + 1] .. ':' .. cost)
              used = used + cost
              leased = true
            end
            if tpm > 0 then left = left - cost end
          end
          out[#out + 1] = code
          out[#out + 1] = value
        end
        if leased then redis.call('PEXPIRE', KEYS[2], leaseMs) end
        if tpm > 0 then
          redis.call('HSET', KEYS[1], 'tokens', string.format('%.3f', left), 'ms', now)
          redis.call('PEXPIRE', KEYS[1], 60000)
        end
        return out
        """;

    private readonly RedisLeases _leases;
    private readonly RedisBatcher<Reservation, LimitDecision> _reservations;

    public RedisTokenLimiter(RedisConnector redis)
    {
        _leases = new RedisLeases(redis);
        _reservations = new RedisBatcher<Reservation, LimitDecision>(async (_, reservations) =>
        {
            var key = reservations[0].Key;
            var inFlightKey = InFlightKeyPrefix + key.Id;
            var database = await redis.DatabaseAsync().ConfigureAwait(false);
            var reply = await database.ScriptEvaluateAsync(Script, [BucketKeyPrefix + key.Id, inFlightKey],
                [key.TokensPerMinute, key.TokensInFlight, (long)reservations[0].LeaseTime.TotalMilliseconds,
                 .. reservations.SelectMany(r => new RedisValue[] { r.Tokens, r.LeaseId })]).ConfigureAwait(false);
            var result = reply.Resp2Type == ResultType.Array && reply.Length == 2 * reservations.Count ? (long[])reply! : null;
            if (result is null) throw new RedisException($"unexpected reply to the token limit script of key {key.Id}: {reply}");
            return [.. reservations.Select((r, i) => result[2 * i] switch
            {
                0 => LimitDecision.Allow(key.TokensInFlight > 0 ? _leases.Lease(inFlightKey, $"{r.LeaseId}:{r.Tokens}") : LimitDecision.NoLease.Instance),
                1 => TokenLimits.OverPerMinute(key, r.Tokens, result[(2 * i) + 1]),
                2 => TokenLimits.OverInFlight(key, r.Tokens, result[(2 * i) + 1]),
                _ => TokenLimits.TooLarge(key, r.Tokens),
            })];
        });
    }

    /// <summary>Throws what <see cref="RedisFailure.Is"/> accepts when Redis cannot be asked; the caller falls back.</summary>
    public Task<LimitDecision> TryReserveAsync(ApiKeyRecord key, long tokens, TimeSpan leaseTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        var batch = string.Create(CultureInfo.InvariantCulture, $"{key.Id}:{key.TokensPerMinute}:{key.TokensInFlight}:{leaseTime.Ticks}");
        return RedisLeases.AwaitAsync(_reservations.Enqueue(batch, new Reservation(key, tokens, leaseTime, Guid.NewGuid().ToString("N"))), cancellationToken);
    }

    private sealed record Reservation(ApiKeyRecord Key, long Tokens, TimeSpan LeaseTime, string LeaseId);
}
