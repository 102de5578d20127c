using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis;

/// <summary>
/// A pipelined Redis client over one TCP connection (the StackExchange.Redis model): any number of callers share it,
/// their commands are written in order and their replies matched in order. When the connection drops, pending
/// commands fail with <see cref="RedisConnectionException"/> and it is re-established in the background with
/// exponential backoff (<see cref="RedisOptions.InitialReconnectDelay"/> doubling to <see cref="RedisOptions.MaxReconnectDelay"/>);
/// a command issued while disconnected waits for the connection attempt it starts (or the one in progress) if the backoff
/// allows, and otherwise fails fast rather than queueing, so a heartbeat or a routing decision is never held up by an
/// absent Redis. Commands keep the order they were issued in, including those that waited for a connection.
/// </summary>
public sealed partial class RedisConnection : IRedisClient, IAsyncDisposable
{
    private readonly RedisOptions _options;
    private readonly string _host;
    private readonly int _port;
    private readonly ILogger _logger;
    private readonly Lock _gate = new(); // guards the fields below
    private readonly CancellationTokenSource _disposed = new();
    private PhysicalConnection? _current;
    private Task<PhysicalConnection>? _connecting;
    private readonly List<PendingCommand> _backlog = []; // issued while _connecting runs; written first, in order, once it succeeds
    private Task? _reconnectLoop;
    private TimeSpan _backoff;
    private long _nextAttemptAt; // Stopwatch timestamp before which no new connection attempt starts
    private Exception? _lastConnectError;

    /// <summary>Creates the client without connecting; the first command (or <see cref="ConnectAsync"/>) connects.</summary>
    /// <exception cref="FormatException">The endpoint is not host:port.</exception>
    public RedisConnection(RedisOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        (_host, _port) = options.ParseEndpoint();
        _logger = logger ?? NullLogger.Instance;
        _backoff = options.InitialReconnectDelay;
    }

    /// <summary>Creates a client and connects it, failing if Redis cannot be reached now.</summary>
    public static async Task<RedisConnection> ConnectAsync(RedisOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var client = new RedisConnection(options, logger);
        try
        {
            await client.EnsureConnectedAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public string Endpoint => _options.Endpoint;

    public bool IsConnected => Volatile.Read(ref _current) is { IsAlive: true };

    public Task<RespValue> ExecuteAsync(string command, ReadOnlySpan<RedisArg> args, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        // Encoded here, synchronously, because the span cannot be kept across an await.
        var pending = new PendingCommand(command, RespWriter.Encode(command, args), cancellationToken);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<RespValue>(cancellationToken);
        var connection = Volatile.Read(ref _current);
        if (connection is { IsAlive: true }) connection.Enqueue(pending);
        else EnqueueWhileDisconnected(pending);
        // Cancelling only stops the wait: a command already written still gets (and discards) its reply.
        return cancellationToken.CanBeCanceled ? pending.Task.WaitAsync(cancellationToken) : pending.Task;
    }

    private void EnqueueWhileDisconnected(PendingCommand command)
    {
        lock (_gate)
        {
            if (_current is { IsAlive: true } live)
            {
                live.Enqueue(command);
                return;
            }
            if (_connecting is not { IsCompleted: false })
            {
                if (StartConnectLocked() is { } refused)
                {
                    command.TrySetException(refused);
                    return;
                }
            }
            _backlog.Add(command);
        }
    }

    /// <summary>The live connection, the attempt in progress, a new attempt, or (inside the backoff) an immediate failure.</summary>
    private Task<PhysicalConnection> EnsureConnectedAsync()
    {
        lock (_gate)
        {
            if (_current is { IsAlive: true } live) return Task.FromResult(live);
            if (_connecting is { IsCompleted: false } attempt) return attempt;
            return StartConnectLocked() is { } refused ? Task.FromException<PhysicalConnection>(refused) : _connecting!;
        }
    }

    /// <summary>Starts a connection attempt, or returns why not (disposed, or inside the backoff). Caller holds _gate.</summary>
    private Exception? StartConnectLocked()
    {
        if (_disposed.IsCancellationRequested) return new ObjectDisposedException(nameof(RedisConnection));
        var wait = _nextAttemptAt - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            var ms = wait * 1000 / Stopwatch.Frequency;
            return new RedisConnectionException(Endpoint,
                $"not connected (last error: {_lastConnectError?.Message ?? "none"}); next attempt in {ms} ms", _lastConnectError);
        }
        _connecting = ConnectCoreAsync();
        return null;
    }

    private async Task<PhysicalConnection> ConnectCoreAsync()
    {
        await Task.Yield(); // leave the caller's lock before doing anything
        Socket? socket = null;
        PhysicalConnection? connection = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_host, _port, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_disposed.IsCancellationRequested)
            {
                throw new RedisConnectionException(Endpoint, $"connect timed out after {_options.ConnectTimeout.TotalMilliseconds:0} ms");
            }
            connection = new PhysicalConnection(Endpoint, new NetworkStream(socket, ownsSocket: true), _options, _logger, OnConnectionFailed);
            socket = null;
            await HandshakeAsync(connection).ConfigureAwait(false);
            lock (_gate)
            {
                if (_disposed.IsCancellationRequested) throw new ObjectDisposedException(nameof(RedisConnection));
                foreach (var waiting in _backlog) connection.Enqueue(waiting);
                _backlog.Clear();
                _current = connection;
                _backoff = _options.InitialReconnectDelay;
                _nextAttemptAt = 0;
                _lastConnectError = null;
            }
            _logger.LogInformation("Connected to Redis at {Endpoint}", Endpoint);
            return connection;
        }
        catch (Exception ex)
        {
            socket?.Dispose();
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            var failure = ex switch
            {
                RedisConnectionException or ObjectDisposedException => ex,
                RedisException => new RedisConnectionException(Endpoint, $"connection handshake failed: {ex.Message}", ex),
                _ => new RedisConnectionException(Endpoint, $"could not connect: {ex.Message}", ex),
            };
            TimeSpan delay;
            PendingCommand[] waiting;
            lock (_gate)
            {
                waiting = [.. _backlog];
                _backlog.Clear();
                delay = _backoff;
                _nextAttemptAt = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
                _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                _lastConnectError = failure;
            }
            foreach (var command in waiting) command.TrySetException(failure);
            if (!_disposed.IsCancellationRequested)
            {
                _logger.LogWarning("Could not connect to Redis at {Endpoint}, retrying in {DelayMs} ms: {Error}", Endpoint, delay.TotalMilliseconds, failure.Message);
                StartReconnectLoop();
            }
            throw failure;
        }
    }

    /// <summary>AUTH, SELECT and CLIENT SETNAME, sent on every new connection before any caller's command.</summary>
    private async Task HandshakeAsync(PhysicalConnection connection)
    {
        if (_options.Password is { } password)
        {
            var auth = RespWriter.Encode("AUTH", _options.User is { } user ? [user, password] : [password]);
            await connection.SendAsync("AUTH", auth).ConfigureAwait(false);
        }
        if (_options.Database != 0)
            await connection.SendAsync("SELECT", RespWriter.Encode("SELECT", [_options.Database])).ConfigureAwait(false);
        if (_options.ClientName is { } name)
            await connection.SendAsync("CLIENT", RespWriter.Encode("CLIENT", ["SETNAME", name])).ConfigureAwait(false);
    }

    private void OnConnectionFailed(PhysicalConnection connection, Exception failure)
    {
        lock (_gate)
        {
            if (_current != connection) return;
            _current = null;
        }
        StartReconnectLoop();
    }

    /// <summary>Keeps retrying (with the backoff) until connected, so IsConnected recovers without traffic.</summary>
    private void StartReconnectLoop()
    {
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested || _reconnectLoop is { IsCompleted: false }) return;
            _reconnectLoop = ReconnectLoopAsync();
        }
    }

    private async Task ReconnectLoopAsync()
    {
        await Task.Yield();
        while (!_disposed.IsCancellationRequested)
        {
            long wait;
            lock (_gate)
            {
                if (_current is { IsAlive: true }) return;
                wait = _nextAttemptAt - Stopwatch.GetTimestamp();
            }
            try
            {
                if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), _disposed.Token).ConfigureAwait(false);
                await EnsureConnectedAsync().ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
            {
                return;
            }
            catch (RedisConnectionException)
            {
                // Logged by ConnectCoreAsync; the backoff has advanced.
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? connecting, reconnecting;
        PhysicalConnection? current;
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested) return;
            _disposed.Cancel();
            current = _current;
            _current = null;
            connecting = _connecting;
            reconnecting = _reconnectLoop;
        }
        if (current is not null) await current.DisposeAsync().ConfigureAwait(false);
        // Let an attempt in flight notice the disposal and clean up its socket.
        foreach (var task in new[] { connecting, reconnecting })
        {
            if (task is null) continue;
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException or OperationCanceledException)
            {
            }
        }
        _disposed.Dispose();
    }
}
