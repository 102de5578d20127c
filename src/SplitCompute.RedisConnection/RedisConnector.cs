using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SplitCompute.RedisConnection;

/// <summary>
/// One StackExchange.Redis multiplexer per process, connected in the background from construction on: nothing waits for Redis
/// at start-up, and until the first connection is made (or while Redis is down) <see cref="IsConnected"/> is false and commands
/// fail fast with a <see cref="RedisConnectionException"/>, which callers treat as "Redis did not help".
/// </summary>
public sealed class RedisConnector : IAsyncDisposable
{
    private readonly Task<ConnectionMultiplexer> _connecting;
    private long _generation;

    public RedisConnector(RedisSettings settings, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        var options = settings.ToConfigurationOptions();  // a malformed endpoint fails here, at start-up, not on first use
        if (loggerFactory is not null) options.LoggerFactory = loggerFactory;
        _connecting = ConnectAsync(options);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(ConfigurationOptions options)
    {
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        multiplexer.ConnectionRestored += (_, _) => Interlocked.Increment(ref _generation);
        return multiplexer;
    }

    /// <summary>
    /// Counts reconnections: it changes whenever a connection was re-established, after which the server may be a restarted,
    /// empty Redis (what a process publishes once, it publishes again).
    /// </summary>
    public long Generation => Volatile.Read(ref _generation);

    public RedisSettings Settings { get; }

    /// <summary>True while some server is connected; false before the first connection and while Redis is unreachable.</summary>
    public bool IsConnected => _connecting.IsCompletedSuccessfully && _connecting.Result.IsConnected;

    /// <summary>The database; waits (at most the connect timeout) for the first connection attempt, whatever its outcome.</summary>
    public async Task<IDatabase> DatabaseAsync() => (await _connecting.ConfigureAwait(false)).GetDatabase();

    /// <summary>
    /// Every key matching <paramref name="pattern"/> on every connected primary (one for a plain server or Sentinel, all of a
    /// cluster's), by SCAN in pages of <paramref name="pageSize"/>: never the blocking KEYS.
    /// </summary>
    /// <exception cref="RedisConnectionException">No primary is connected.</exception>
    public async Task<List<RedisKey>> ScanAsync(string pattern, int pageSize = 256, CancellationToken cancellationToken = default)
    {
        var multiplexer = await _connecting.ConfigureAwait(false);
        var primaries = multiplexer.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();
        if (primaries.Count == 0)
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, $"Redis {Settings}: no primary is connected, cannot scan {pattern}", null, CommandStatus.Unknown);
        var keys = new List<RedisKey>();
        foreach (var server in primaries)
        {
            await foreach (var key in server.KeysAsync(pattern: pattern, pageSize: pageSize).WithCancellation(cancellationToken).ConfigureAwait(false))
                keys.Add(key);
        }
        return keys;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await (await _connecting.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // never connected and never will: nothing to close
        }
    }
}
