using System.Collections.Concurrent;
using System.Globalization;
using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// A key's limit on what its requests hold while they run (requests in flight, tokens in flight), shared by the gateway
/// replicas through Redis. Each replica holds a share of the limit, one hash field ("units:expiry") per replica, and admits
/// requests against its share in memory: Redis is asked only when the share is too small (it grows by the request plus a
/// chunk), when requests end and leave more than a chunk unused (it shrinks), and to renew the share before it expires. A
/// share is granted only out of what the other replicas do not hold, so the key never has more than its limit in flight; a
/// replica may refuse a request while another holds at most a chunk unused. Chunk 0 (small limits) asks Redis on every
/// request and every end: exact. A crashed replica's share expires after the lease time; so does a request's hold that was
/// never ended.
/// </summary>
internal sealed class SharedHolds : IDisposable
{
    // KEYS[1]: the key's hash, replica -> "units:expiry ms". ARGV: limit, lease ms, replica, want, keep. Grants the replica
    // min(want, limit - held by the others), never less than keep. Returns {granted share, units the other replicas hold}.
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit = tonumber(ARGV[1])
        local leaseMs = tonumber(ARGV[2])
        local me = ARGV[3]
        local want = tonumber(ARGV[4])
        local keep = tonumber(ARGV[5])
        local others = 0
        local fields = redis.call('HGETALL', KEYS[1])
        for i = 1, #fields, 2 do
          local units, expiry = string.match(fields[i + 1], '^(%d+):(%d+)$')
          if units == nil or tonumber(expiry) <= now then
            redis.call('HDEL', KEYS[1], fields[i])
          elseif fields[i] ~= me then
            others = others + tonumber(units)
          end
        end
        local share = math.max(keep, math.min(want, limit - others))
        if share > 0 then
          redis.call('HSET', KEYS[1], me, string.format('%d:%d', share, now + leaseMs))
          redis.call('PEXPIRE', KEYS[1], leaseMs)
        else
          redis.call('HDEL', KEYS[1], me)
        end
        return {share, others}
        """;

    private static readonly TimeSpan RenewEvery = TimeSpan.FromMilliseconds(500);

    private readonly RedisConnector _redis;
    private readonly string _replica = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, Pool> _pools = new(StringComparer.Ordinal);
    private readonly RedisBatcher<Op, Admission> _calls;
    private readonly Timer _renewals;

    public SharedHolds(RedisConnector redis)
    {
        _redis = redis;
        _calls = new RedisBatcher<Op, Admission>((_, ops) => ResizeAsync(ops[0].Pool, ops));
        _renewals = new Timer(_ => Renew(), null, RenewEvery, RenewEvery);
    }

    /// <summary>
    /// Holds <paramref name="units"/> of the key's <paramref name="limit"/> until the returned lease is disposed (or
    /// <paramref name="leaseTime"/> passes). Throws what <see cref="RedisFailure.Is"/> accepts when Redis had to be asked and could not be.
    /// </summary>
    public Task<Admission> AcquireAsync(string hashKey, long limit, long chunk, long units, TimeSpan leaseTime)
    {
        while (true)
        {
            var pool = _pools.GetOrAdd(hashKey, static (k, a) => new Pool(k, a.limit, a.chunk, a.leaseTime) { Owner = a.owner }, (owner: this, limit, chunk, leaseTime));
            lock (pool)
            {
                if (pool.Removed) continue;
                (pool.Limit, pool.Chunk, pool.LeaseTime) = (limit, chunk, leaseTime);  // the latest key record's limits
                pool.UsedSinceTick = true;
                if (pool.InUse + units > pool.Held) pool.SweepExpired();
                if (pool.InUse + units <= pool.Held) return Task.FromResult(new Admission(true, 0, pool.Take(units)));
                pool.Calls++;  // not removed while a call for it is queued or in flight
            }
            return _calls.Enqueue(hashKey, new Op(pool, units));
        }
    }

    private async Task<IReadOnlyList<Admission>> ResizeAsync(Pool pool, IReadOnlyList<Op> ops)
    {
        try
        {
            return await CallAsync(pool, ops).ConfigureAwait(false);
        }
        finally
        {
            lock (pool) pool.Calls -= ops.Count;
        }
    }

    private async Task<IReadOnlyList<Admission>> CallAsync(Pool pool, IReadOnlyList<Op> ops)
    {
        long want, keep, limit, leaseMs;
        var need = ops.Sum(o => o.Units);
        lock (pool)
        {
            pool.ShrinkQueued = false;
            if (ops.Any(o => o.Units > 0))
            {
                // Grow, never below the current share: requests admitted against it while this call is in flight stay covered.
                want = Math.Max(pool.Held, pool.InUse + need + pool.Chunk);
                keep = pool.Held;
            }
            else
            {
                // Renew or shrink: to what is in use plus a chunk, to nothing when idle since the last tick. Applied here at
                // once, so nothing is admitted beyond it while Redis still counts the larger share (the safe side).
                pool.SweepExpired();
                var target = pool.InUse == 0 && !pool.UsedSinceTick ? 0 : Math.Min(pool.Held, pool.InUse + pool.Chunk);
                pool.Held = want = keep = Math.Max(target, pool.InUse);
            }
            (limit, leaseMs) = (pool.Limit, (long)pool.LeaseTime.TotalMilliseconds);
        }
        var result = await RedisScripts.RunAsync(_redis, Script, pool.HashKey, [limit, leaseMs, _replica, want, keep], 2, "share").ConfigureAwait(false);
        var others = result[1];
        lock (pool)
        {
            pool.Held = Math.Max(result[0], keep);
            return [.. ops.Select(o => o.Units == 0
                ? new Admission(true, others, LimitDecision.NoLease.Instance)
                : pool.InUse + o.Units <= pool.Held ? new Admission(true, others, pool.Take(o.Units)) : new Admission(false, others + pool.InUse, LimitDecision.NoLease.Instance))];
        }
    }

    /// <summary>Gives units back; when the share then exceeds use by more than a chunk, shrinks it in Redis (and waits for that).</summary>
    private Task ReleaseAsync(Pool pool, Hold hold)
    {
        lock (pool)
        {
            if (!pool.Active.Remove(hold)) return Task.CompletedTask;
            pool.InUse -= hold.Units;
            if (pool.Held - pool.InUse <= pool.Chunk || pool.ShrinkQueued) return pool.LastShrink;
            pool.ShrinkQueued = true;
            pool.LastShrink = ShrinkAsync(pool);
            return pool.LastShrink;
        }
    }

    /// <summary>Queues a shrink or renewal of <paramref name="pool"/>; call with its lock held.</summary>
    private async Task ShrinkAsync(Pool pool)
    {
        pool.Calls++;
        try
        {
            await _calls.Enqueue(pool.HashKey, new Op(pool, 0)).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            // The share stays counted in Redis until it expires (the lease time): the safe side.
        }
    }

    private void Renew()
    {
        foreach (var pool in _pools.Values)
        {
            lock (pool)
            {
                if (pool.Held == 0 && pool.InUse == 0)
                {
                    if (!pool.UsedSinceTick && pool.Calls == 0 && _pools.TryRemove(new KeyValuePair<string, Pool>(pool.HashKey, pool))) pool.Removed = true;
                    pool.UsedSinceTick = false;
                    continue;
                }
                if (pool.ShrinkQueued) continue;
                pool.ShrinkQueued = true;
                pool.LastShrink = ShrinkAsync(pool);
                pool.UsedSinceTick = false;
            }
        }
    }

    public void Dispose() => _renewals.Dispose();

    /// <summary>The outcome of one acquire: admitted (dispose <see cref="Lease"/> when the request ends) or not, and what the key holds elsewhere.</summary>
    public readonly record struct Admission(bool Admitted, long HeldElsewhere, IAsyncDisposable Lease);

    private readonly record struct Op(Pool Pool, long Units);

    private sealed class Pool(string hashKey, long limit, long chunk, TimeSpan leaseTime)
    {
        public string HashKey { get; } = hashKey;
        public long Limit { get; set; } = limit;
        public long Chunk { get; set; } = chunk;
        public TimeSpan LeaseTime { get; set; } = leaseTime;
        public long Held { get; set; }  // this replica's share, as Redis last granted it (or less, while a shrink is in flight)
        public long InUse { get; set; }
        public HashSet<Hold> Active { get; } = [];
        public bool ShrinkQueued { get; set; }
        public Task LastShrink { get; set; } = Task.CompletedTask;
        public bool UsedSinceTick { get; set; }
        public int Calls { get; set; }  // Redis calls queued or in flight for this pool
        public bool Removed { get; set; }
        public SharedHolds? Owner { get; init; }

        public Hold Take(long units)
        {
            var hold = new Hold(this, units, Environment.TickCount64 + (long)LeaseTime.TotalMilliseconds);
            Active.Add(hold);
            InUse += units;
            return hold;
        }

        /// <summary>Holds never ended by their requests count until their lease time, like a crashed replica's share.</summary>
        public void SweepExpired()
        {
            var now = Environment.TickCount64;
            Active.RemoveWhere(h =>
            {
                if (h.ExpiresAt > now) return false;
                InUse -= h.Units;
                return true;
            });
        }
    }

    private sealed class Hold(Pool pool, long units, long expiresAt) : IAsyncDisposable
    {
        public long Units { get; } = units;
        public long ExpiresAt { get; } = expiresAt;

        public ValueTask DisposeAsync() => new(pool.Owner!.ReleaseAsync(pool, this));
    }

    /// <summary>Chunk of a limit: a 32nd once the limit is at least <paramref name="chunkedFrom"/>, else 0 (exact, Redis on every request).</summary>
    public static long ChunkOf(long limit, long chunkedFrom) => limit >= chunkedFrom ? limit / 32 : 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"shared holds of replica {_replica} ({_pools.Count} keys)");
}
