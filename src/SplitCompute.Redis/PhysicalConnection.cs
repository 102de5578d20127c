using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis;

/// <summary>
/// One connected stream and its two loops. The write loop drains a queue of commands, appends each to the FIFO of
/// pending commands and writes them in batches; the read loop parses replies and completes the FIFO head, which is
/// correct because Redis answers each connection's commands in order. Any failure (I/O error, EOF, protocol error,
/// a timed-out reply) ends the connection for good: everything pending fails and the owner makes a new one.
/// </summary>
internal sealed class PhysicalConnection : IAsyncDisposable
{
    private const int WriteBatchBytes = 64 * 1024;

    private readonly string _endpoint;
    private readonly Stream _stream;
    private readonly TimeSpan _commandTimeout;
    private readonly RespParser _parser;
    private readonly ILogger _logger;
    private readonly Action<PhysicalConnection, Exception> _onFailed;
    private readonly Channel<PendingCommand> _writes = Channel.CreateUnbounded<PendingCommand>(
        new UnboundedChannelOptions { SingleReader = false, AllowSynchronousContinuations = false }); // Fail drains it too
    private readonly Queue<PendingCommand> _pending = new();
    private readonly Lock _lock = new(); // guards _pending and _failure, so a command is either pending or failed, never lost
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Timer? _timeoutTimer;
    private readonly Task _writeLoop;
    private readonly Task _readLoop;
    private Exception? _failure;

    public PhysicalConnection(string endpoint, Stream stream, RedisOptions options, ILogger logger, Action<PhysicalConnection, Exception> onFailed)
    {
        _endpoint = endpoint;
        _stream = stream;
        _commandTimeout = options.CommandTimeout;
        _parser = new RespParser(options.ParserLimits);
        _logger = logger;
        _onFailed = onFailed;
        if (_commandTimeout != Timeout.InfiniteTimeSpan)
        {
            // Checking the FIFO head a few times per timeout costs one timer per connection instead of one per command.
            var period = TimeSpan.FromTicks(Math.Clamp(_commandTimeout.Ticks / 4, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(250).Ticks));
            _timeoutTimer = new Timer(static state => ((PhysicalConnection)state!).CheckTimeout(), this, period, period);
        }
        _writeLoop = Task.Run(WriteLoopAsync);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public bool IsAlive => Volatile.Read(ref _failure) is null;

    /// <summary>Queues a command for writing; it completes with its reply or fails with a <see cref="RedisException"/>.</summary>
    public void Enqueue(PendingCommand command)
    {
        if (!_writes.Writer.TryWrite(command))
            command.TrySetException(Volatile.Read(ref _failure) ?? Closed("the connection is closed"));
    }

    /// <summary>Sends one command and waits for its reply (the handshake uses this before the connection is published).</summary>
    public Task<RespValue> SendAsync(string name, byte[] payload)
    {
        var command = new PendingCommand(name, payload, CancellationToken.None);
        Enqueue(command);
        return command.Task;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new ArrayBufferWriter<byte>(WriteBatchBytes);
        try
        {
            var reader = _writes.Reader;
            while (await reader.WaitToReadAsync(_shutdown.Token).ConfigureAwait(false))
            {
                // Take everything already queued (up to a batch) so concurrent callers share one write system call.
                while (batch.WrittenCount < WriteBatchBytes && reader.TryRead(out var command))
                {
                    if (command.CancellationToken.IsCancellationRequested)
                    {
                        command.TrySetCanceled(command.CancellationToken);
                        continue;
                    }
                    lock (_lock)
                    {
                        if (_failure is not null)
                        {
                            command.TrySetException(_failure);
                            continue;
                        }
                        command.SentAt = Stopwatch.GetTimestamp();
                        _pending.Enqueue(command);
                    }
                    batch.Write(command.Payload);
                }
                if (batch.WrittenCount == 0) continue;
                await _stream.WriteAsync(batch.WrittenMemory, _shutdown.Token).ConfigureAwait(false);
                await _stream.FlushAsync(_shutdown.Token).ConfigureAwait(false);
                if (batch.Capacity > 16 * WriteBatchBytes) batch = new ArrayBufferWriter<byte>(WriteBatchBytes); // after one huge command
                else batch.ResetWrittenCount();
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Fail(Closed($"write failed: {ex.Message}", ex));
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_shutdown.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (_parser.TryParse(ref buffer, out var reply)) Complete(reply);
                // Consumed up to the last whole reply, examined everything: the next read waits for new bytes.
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    Fail(Closed(buffer.IsEmpty ? "the server closed the connection" : "the server closed the connection in the middle of a reply"));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
        }
        catch (RespProtocolException ex)
        {
            Fail(Closed($"invalid reply: {ex.Message}", ex));
        }
        catch (Exception ex)
        {
            Fail(Closed($"read failed: {ex.Message}", ex));
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Complete(RespValue reply)
    {
        PendingCommand? command;
        lock (_lock) _pending.TryDequeue(out command);
        if (command is null) throw new RespProtocolException($"received a reply ({reply}) with no command pending", _parser.Position);
        // A reply that beat the timer (a starved thread pool delays it) but not the deadline still counts as a timeout,
        // so callers see one rule; the stream is still in step here, so the connection is kept.
        if (_commandTimeout != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(command.SentAt) > _commandTimeout)
            command.TrySetException(new RedisTimeoutException(_endpoint, command.Name, _commandTimeout));
        else if (reply.IsError) command.TrySetException(new RedisServerException(reply.AsString()!));
        else command.TrySetResult(reply);
    }

    private void CheckTimeout()
    {
        PendingCommand? late;
        lock (_lock)
        {
            if (_failure is not null || !_pending.TryPeek(out late) || Stopwatch.GetElapsedTime(late.SentAt) < _commandTimeout) return;
        }
        // Its reply may still arrive and would be taken for the next command's: the connection cannot be reused.
        Fail(Closed($"closed after {late.Name} got no reply within {_commandTimeout.TotalMilliseconds:0} ms"), timedOut: true);
    }

    /// <summary>Ends the connection once: fails queued and pending commands, closes the stream, tells the owner.</summary>
    private void Fail(Exception failure, bool timedOut = false, bool disposing = false)
    {
        PendingCommand[] pending;
        lock (_lock)
        {
            if (_failure is not null) return;
            _failure = failure;
            pending = [.. _pending];
            _pending.Clear();
        }
        _writes.Writer.TryComplete();
        foreach (var command in pending)
        {
            // Commands that have outlived the timeout report it; those merely caught behind them report the disconnect.
            var late = timedOut && Stopwatch.GetElapsedTime(command.SentAt) >= _commandTimeout;
            command.TrySetException(late ? new RedisTimeoutException(_endpoint, command.Name, _commandTimeout) : failure);
        }
        while (_writes.Reader.TryRead(out var unsent)) unsent.TrySetException(failure);
        _shutdown.Cancel();
        _timeoutTimer?.Dispose();
        _stream.Dispose();
        if (disposing) _logger.LogDebug("Redis connection to {Endpoint} closed", _endpoint);
        else _logger.LogWarning(failure, "Redis connection to {Endpoint} lost ({Pending} commands pending)", _endpoint, pending.Length);
        _onFailed(this, failure);
    }

    private RedisConnectionException Closed(string message, Exception? inner = null) => new(_endpoint, message, inner);

    public async ValueTask DisposeAsync()
    {
        Fail(Closed("the client was disposed"), disposing: true);
        await Task.WhenAll(_writeLoop, _readLoop).ConfigureAwait(false);
        _shutdown.Dispose();
    }
}
