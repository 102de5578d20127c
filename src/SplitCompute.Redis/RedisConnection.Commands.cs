using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis;

// The typed helpers: each is one command (two for EVALSHA falling back to EVAL) built on ExecuteAsync.
public sealed partial class RedisConnection
{
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var reply = await ExecuteAsync("PING", [], cancellationToken).ConfigureAwait(false);
        return reply.AsString() == "PONG" ? Stopwatch.GetElapsedTime(started) : throw Unexpected("PING", reply);
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        (await ExecuteAsync("GET", [key], cancellationToken).ConfigureAwait(false)).AsBytes();

    public Task SetAsync(string key, RedisArg value, TimeSpan? expiry = null, CancellationToken cancellationToken = default) =>
        expiry is { } ttl
            ? ExecuteAsync("SET", [key, value, "PX", Milliseconds(ttl, nameof(expiry))], cancellationToken)
            : ExecuteAsync("SET", [key, value], cancellationToken);

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        (await ExecuteAsync("DEL", [key], cancellationToken).ConfigureAwait(false)).AsInteger() > 0;

    public async Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0) return 0; // DEL with no key is a syntax error
        return (await ExecuteAsync("DEL", Args(keys), cancellationToken).ConfigureAwait(false)).AsInteger();
    }

    public async Task<byte[]?[]> MGetAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0) return [];
        var items = ArrayOf("MGET", await ExecuteAsync("MGET", Args(keys), cancellationToken).ConfigureAwait(false));
        var values = new byte[]?[items.Length];
        for (var i = 0; i < items.Length; i++) values[i] = items[i].AsBytes();
        return values;
    }

    public async IAsyncEnumerable<string> ScanKeysAsync(string pattern = "*", int pageSize = 256, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        // SCAN may return a key more than once (when the table is rehashed mid-scan); callers get each once.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var cursor = "0";
        do
        {
            var reply = ArrayOf("SCAN", await ExecuteAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", pageSize], cancellationToken).ConfigureAwait(false));
            if (reply.Length != 2) throw Unexpected("SCAN", RespValue.Array(reply));
            cursor = reply[0].AsString() ?? throw Unexpected("SCAN", reply[0]);
            foreach (var key in ArrayOf("SCAN", reply[1]))
            {
                var name = key.AsString()!;
                if (seen.Add(name)) yield return name;
            }
        }
        while (cursor != "0");
    }

    public async Task<long> HashSetAsync(string key, IReadOnlyCollection<KeyValuePair<string, RedisArg>> fields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count == 0) throw new ArgumentException("HSET needs at least one field.", nameof(fields));
        var args = new RedisArg[1 + 2 * fields.Count];
        args[0] = key;
        AppendPairs(args, 1, fields);
        return (await ExecuteAsync("HSET", args, cancellationToken).ConfigureAwait(false)).AsInteger();
    }

    public async Task<Dictionary<string, byte[]>> HashGetAllAsync(string key, CancellationToken cancellationToken = default)
    {
        var items = ArrayOf("HGETALL", await ExecuteAsync("HGETALL", [key], cancellationToken).ConfigureAwait(false));
        var hash = new Dictionary<string, byte[]>(items.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < items.Length; i += 2) hash[items[i].AsString()!] = items[i + 1].AsBytes()!;
        return hash;
    }

    public async Task<bool> ExpireAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        (await ExecuteAsync("PEXPIRE", [key, Milliseconds(ttl, nameof(ttl))], cancellationToken).ConfigureAwait(false)).AsInteger() == 1;

    public async Task<long> IncrementAsync(string key, long by = 1, CancellationToken cancellationToken = default)
    {
        var reply = by == 1
            ? await ExecuteAsync("INCR", [key], cancellationToken).ConfigureAwait(false)
            : await ExecuteAsync("INCRBY", [key, by], cancellationToken).ConfigureAwait(false);
        return reply.AsInteger();
    }

    public async Task<string> StreamAddAsync(string key, IReadOnlyCollection<KeyValuePair<string, RedisArg>> fields, long? maxLengthApprox = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count == 0) throw new ArgumentException("XADD needs at least one field.", nameof(fields));
        if (maxLengthApprox is < 0) throw new ArgumentOutOfRangeException(nameof(maxLengthApprox), maxLengthApprox, "MAXLEN cannot be negative.");
        var trim = maxLengthApprox is null ? 0 : 3;
        var args = new RedisArg[2 + trim + 2 * fields.Count];
        args[0] = key;
        if (maxLengthApprox is { } max)
        {
            args[1] = "MAXLEN";
            args[2] = "~";
            args[3] = max;
        }
        args[1 + trim] = "*";
        AppendPairs(args, 2 + trim, fields);
        var reply = await ExecuteAsync("XADD", args, cancellationToken).ConfigureAwait(false);
        return reply.AsString() ?? throw Unexpected("XADD", reply);
    }

    public async Task<IReadOnlyList<StreamEntry>> StreamRangeAsync(string key, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var items = ArrayOf("XREVRANGE", await ExecuteAsync("XREVRANGE", [key, "+", "-", "COUNT", count], cancellationToken).ConfigureAwait(false));
        var entries = new StreamEntry[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            // Each entry is [id, [field, value, field, value, ...]].
            var entry = ArrayOf("XREVRANGE", items[i]);
            if (entry.Length != 2) throw Unexpected("XREVRANGE", items[i]);
            var flat = entry[1].AsArray() ?? [];
            var fields = new KeyValuePair<string, byte[]>[flat.Length / 2];
            for (var f = 0; f < fields.Length; f++) fields[f] = new(flat[2 * f].AsString()!, flat[2 * f + 1].AsBytes()!);
            entries[i] = new StreamEntry(entry[0].AsString()!, fields);
        }
        return entries;
    }

    public async Task<RespValue> EvalAsync(string script, IReadOnlyList<string>? keys = null, IReadOnlyList<RedisArg>? args = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(script);
        keys ??= [];
        args ??= [];
        var arguments = new RedisArg[2 + keys.Count + args.Count];
        arguments[0] = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(script)));
        arguments[1] = keys.Count;
        for (var i = 0; i < keys.Count; i++) arguments[2 + i] = keys[i];
        for (var i = 0; i < args.Count; i++) arguments[2 + keys.Count + i] = args[i];
        try
        {
            return await ExecuteAsync("EVALSHA", arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.ErrorCode == "NOSCRIPT")
        {
            // First use on this server (or after a restart / SCRIPT FLUSH): EVAL sends the body and caches it.
            arguments[0] = script;
            return await ExecuteAsync("EVAL", arguments, cancellationToken).ConfigureAwait(false);
        }
    }

    private static RedisArg[] Args(IReadOnlyList<string> keys)
    {
        var args = new RedisArg[keys.Count];
        for (var i = 0; i < args.Length; i++) args[i] = keys[i];
        return args;
    }

    private static void AppendPairs(RedisArg[] args, int start, IReadOnlyCollection<KeyValuePair<string, RedisArg>> fields)
    {
        var i = start;
        foreach (var (field, value) in fields)
        {
            args[i++] = field;
            args[i++] = value;
        }
    }

    private static long Milliseconds(TimeSpan span, string name)
    {
        if (span <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, span, "A Redis expiry must be positive.");
        return Math.Max(1, (long)Math.Ceiling(span.TotalMilliseconds));
    }

    private RespValue[] ArrayOf(string command, RespValue reply) =>
        reply.Type == RespType.Array ? reply.AsArray() ?? [] : throw Unexpected(command, reply);

    private RedisConnectionException Unexpected(string command, RespValue reply) =>
        new(Endpoint, $"unexpected reply to {command}: {reply}");
}
