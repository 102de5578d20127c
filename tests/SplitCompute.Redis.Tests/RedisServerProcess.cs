using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SplitCompute.RedisConnection;

namespace SplitCompute.Redis.Tests;

/// <summary>
/// A real redis-server on a free loopback port, for integration tests (use as an xunit class fixture). Nothing is
/// persisted. <see cref="StopAsync"/> kills it (as a crash would) and <see cref="StartAsync"/> brings it back on the same
/// port, to test how clients ride out a Redis restart. A missing redis-server fails the tests: it is a dependency of
/// the product, installed by the launcher, not an optional extra. Subclasses add a password, ACL users or TLS
/// (SecuredRedisServerFixture) through <see cref="ExtraArguments"/> and say how clients reach them.
/// </summary>
public class RedisServerFixture : IAsyncLifetime
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    public int Port { get; private set; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>How the product's clients reach this server (endpoint, and for secured servers user, password, TLS).</summary>
    public virtual RedisSettings ClientSettings => new() { Endpoint = Endpoint, ClientName = "splitcompute-tests" };

    /// <summary>The gateway's command-line options that point it at this server.</summary>
    public IEnumerable<string> GatewayArguments() => Arguments("Gateway:Redis", ClientSettings);

    /// <summary>The worker's command-line options that point it at this server.</summary>
    public IEnumerable<string> WorkerArguments() => Arguments("Redis:", ClientSettings);

    private static IEnumerable<string> Arguments(string prefix, RedisSettings s)
    {
        yield return $"--{prefix}Endpoint={s.Endpoint}";
        if (s.User is not null) yield return $"--{prefix}User={s.User}";
        if (s.Password is not null) yield return $"--{prefix}Password={s.Password}";
        if (s.Tls) yield return $"--{prefix}Tls=true";
        if (s.TlsCaFile is not null) yield return $"--{prefix}TlsCaFile={s.TlsCaFile}";
    }

    /// <summary>
    /// A product connection to this server (the tests' own reads and writes go through the same client), with a reply timeout of
    /// 15 s instead of the product's 1 s: loaded CI machines have taken longer than a second, and no test here is about latency
    /// (the services under test keep their own settings).
    /// </summary>
    public RedisConnector Connect() => new(ClientSettings with { CommandTimeout = TimeSpan.FromSeconds(15) });

    /// <summary>Extra redis-server arguments (a password, ACL users, TLS), after the defaults.</summary>
    protected virtual IEnumerable<string> ExtraArguments() => [];

    public bool IsRunning => _process is { HasExited: false };

    public async Task InitializeAsync()
    {
        // A port that was free a moment ago may be taken by another test run before redis binds it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && _output.ToString().Contains("Address already in use", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>Starts redis-server on <see cref="Port"/> and waits until it answers PING.</summary>
    public async Task StartAsync()
    {
        if (IsRunning) throw new InvalidOperationException("redis-server is already running");
        var executable = FindOnPath("redis-server") ?? throw new InvalidOperationException(
            "redis-server is not on PATH. The Redis integration tests need it: run `./splitcompute test`, which installs it (Debian package redis-server).");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--enable-debug-command", "local", "--loglevel", "warning",
        }.Concat(ExtraArguments()))
        {
            start.ArgumentList.Add(arg);
        }
        lock (_output) _output.Clear();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (!await AnswersPingAsync())
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                await StopAsync();
                string output;
                lock (_output) output = _output.ToString();
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING. Its output:\n{output}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Kills redis-server and waits for it to exit; the port is free again afterwards.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited) process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public virtual Task DisposeAsync() => StopAsync();

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var reply = new byte[7];
            var read = 0;
            while (read < reply.Length)
            {
                var n = await stream.ReadAsync(reply.AsMemory(read), timeout.Token);
                if (n == 0) return false;
                read += n;
            }
            // Up: PONG, or NOAUTH when the default user needs a password.
            return reply.AsSpan().SequenceEqual("+PONG\r\n"u8) || reply.AsSpan().SequenceEqual("-NOAUTH"u8);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    protected static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
