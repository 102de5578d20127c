using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis;

/// <summary>
/// The Redis operations SplitCompute uses, so the implementation can be swapped (e.g. for StackExchange.Redis) without
/// touching callers. Every method is asynchronous and thread-safe. Failures are <see cref="RedisException"/>s:
/// <see cref="RedisServerException"/> (the server said no), <see cref="RedisConnectionException"/> (not delivered or
/// reply lost), <see cref="RedisTimeoutException"/> (no reply in time); cancellation is an <see cref="OperationCanceledException"/>.
/// </summary>
public interface IRedisClient
{
    /// <summary>True while a connection is established; commands may still fail if it drops.</summary>
    bool IsConnected { get; }

    /// <summary>
    /// Sends any command, e.g. <c>ExecuteAsync("ZADD", ["load", 0.7, "worker-3"], ct)</c>. The arguments are encoded
    /// before this returns, so the span need not outlive the call. An error reply throws <see cref="RedisServerException"/>.
    /// </summary>
    Task<RespValue> ExecuteAsync(string command, ReadOnlySpan<RedisArg> args, CancellationToken cancellationToken = default);

    /// <summary>PING; returns the round-trip time.</summary>
    Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default);

    /// <summary>GET; null when the key does not exist.</summary>
    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>SET key value [PX milliseconds]. A non-null expiry must be positive (sub-millisecond rounds up to 1 ms).</summary>
    Task SetAsync(string key, RedisArg value, TimeSpan? expiry = null, CancellationToken cancellationToken = default);

    /// <summary>DEL key; true when it existed.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>DEL key...; the number of keys that existed.</summary>
    Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default);

    /// <summary>MGET; one entry per key, in order, null where the key does not exist (or holds a non-string).</summary>
    Task<byte[]?[]> MGetAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every key matching <paramref name="pattern"/>, by full SCAN iteration (non-blocking on the server, unlike KEYS).
    /// Each key is yielded once; keys created or deleted during the scan may or may not appear.
    /// </summary>
    IAsyncEnumerable<string> ScanKeysAsync(string pattern = "*", int pageSize = 256, CancellationToken cancellationToken = default);

    /// <summary>HSET key field value ...; the number of fields that were new.</summary>
    Task<long> HashSetAsync(string key, IReadOnlyCollection<KeyValuePair<string, RedisArg>> fields, CancellationToken cancellationToken = default);

    /// <summary>HGETALL; empty when the key does not exist.</summary>
    Task<Dictionary<string, byte[]>> HashGetAllAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>PEXPIRE; false when the key does not exist.</summary>
    Task<bool> ExpireAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>INCR (or INCRBY when <paramref name="by"/> is not 1); the new value.</summary>
    Task<long> IncrementAsync(string key, long by = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// XADD key [MAXLEN ~ n] * field value ...; returns the new entry id. With <paramref name="maxLengthApprox"/> the
    /// stream is trimmed to about that many entries (whole macro nodes, so cheap; it may keep somewhat more).
    /// </summary>
    Task<string> StreamAddAsync(string key, IReadOnlyCollection<KeyValuePair<string, RedisArg>> fields, long? maxLengthApprox = null, CancellationToken cancellationToken = default);

    /// <summary>XREVRANGE key + - COUNT n: the newest <paramref name="count"/> entries, newest first.</summary>
    Task<IReadOnlyList<StreamEntry>> StreamRangeAsync(string key, int count, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a Lua script: EVALSHA with the script's SHA-1, falling back to EVAL when the server does not have it cached
    /// (NOSCRIPT), so repeated calls send only the hash.
    /// </summary>
    Task<RespValue> EvalAsync(string script, IReadOnlyList<string>? keys = null, IReadOnlyList<RedisArg>? args = null, CancellationToken cancellationToken = default);
}
