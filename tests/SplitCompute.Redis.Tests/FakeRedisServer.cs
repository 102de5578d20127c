using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis.Tests;

/// <summary>
/// A loopback TCP server that the test scripts by hand: each accepted connection is handed out as a
/// <see cref="FakeClient"/> to read commands from and write replies (or garbage, or nothing) to. It lets the tests
/// control exactly when and how a reply arrives, which a real redis-server cannot.
/// </summary>
internal sealed class FakeRedisServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Channel<FakeClient> _accepted = Channel.CreateUnbounded<FakeClient>();
    private readonly List<FakeClient> _clients = [];
    private readonly Task _acceptLoop;

    public FakeRedisServer()
    {
        _listener.Start();
        Endpoint = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _acceptLoop = AcceptLoopAsync();
    }

    public string Endpoint { get; }

    public int ConnectionCount { get; private set; }

    /// <summary>The next connection the client makes (waits up to 5 s).</summary>
    public async Task<FakeClient> NextClientAsync() => await _accepted.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                var client = new FakeClient(socket);
                lock (_clients) _clients.Add(client);
                ConnectionCount++;
                _accepted.Writer.TryWrite(client);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _acceptLoop;
        lock (_clients)
        {
            foreach (var client in _clients) client.Dispose();
        }
    }
}

/// <summary>One accepted connection, seen from the server side.</summary>
internal sealed class FakeClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly RespParser _parser = new();

    public FakeClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
    }

    /// <summary>The next command as its arguments (name first), or null when the client closed the connection.</summary>
    public async Task<string[]?> ReadCommandAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var result = await _input.ReadAsync(cancel.Token);
            var buffer = result.Buffer;
            if (_parser.TryParse(ref buffer, out var value))
            {
                _input.AdvanceTo(buffer.Start);
                return [.. value.AsArray()!.Select(v => v.AsString()!)];
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) return null;
        }
    }

    /// <summary>The next command; fails the test if the client closed the connection instead.</summary>
    public async Task<string[]> NextCommandAsync() =>
        await ReadCommandAsync() ?? throw new InvalidOperationException("the client closed the connection");

    public async Task<List<string[]>> ReadCommandsAsync(int count)
    {
        var commands = new List<string[]>();
        for (var i = 0; i < count; i++) commands.Add(await ReadCommandAsync() ?? throw new InvalidOperationException($"connection closed after {i} commands"));
        return commands;
    }

    /// <summary>True once the client has closed its end (reads reach end of stream); commands still in flight are skipped.</summary>
    public async Task<bool> WasClosedByClientAsync()
    {
        try
        {
            while (await ReadCommandAsync(TimeSpan.FromSeconds(5)) is not null)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task ReplyAsync(params RespValue[] replies)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var reply in replies) RespWriter.Write(output, reply);
        await _stream.WriteAsync(output.WrittenMemory);
    }

    public async Task ReplyRawAsync(string raw) => await _stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(raw));

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        _stream.Dispose();
    }
}
