using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SplitCompute.Model.Shards;

namespace SplitCompute.Cli.Local;

/// <summary>
/// `up` on one machine: redis-server on a free loopback port, N worker processes and the gateway, all children of this process,
/// stopped together. Shards are made before the workers start so they do not race to write them. While it runs, a child that
/// dies (crash, OOM kill, a kill from outside) is started again on the same port, at most <see cref="MaxRestartsPerMinute"/>
/// times a minute each, and said so on the output.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    public const int MaxRestartsPerMinute = 5;

    private readonly List<ChildProcess> _children = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _supervisor = Task.CompletedTask;

    private LocalCluster(Uri gateway, string logDirectory)
    {
        Gateway = gateway;
        LogDirectory = logDirectory;
    }

    public Uri Gateway { get; }

    /// <summary>The cluster's redis-server (host:port; its password is in $SPLITCOMPUTE_HOME/secrets), for `keys --redis`.</summary>
    public string Redis { get; private set; } = "";

    public string LogDirectory { get; }

    public static async Task<LocalCluster> StartAsync(string modelDirectory, int port, int workers, string logDirectory, TextWriter output, CancellationToken cancellationToken)
    {
        modelDirectory = Path.GetFullPath(modelDirectory);
        var index = ModelShards.Ensure(modelDirectory, Path.Combine(modelDirectory, "shards"));
        output.WriteLine($"model {Path.GetFileName(modelDirectory)}@{index.Revision}: {index.NLayer} layers, {index.Shards.Length} shards");

        var cluster = new LocalCluster(new Uri($"http://127.0.0.1:{port}"), logDirectory);
        try
        {
            var redisPort = FreePort();
            cluster.Redis = $"127.0.0.1:{redisPort}";
            var redis = FindRedisServer();
            // Redis requires the generated passwords, each service connects as its role's ACL user, and the services share the
            // cluster secret: a local process that finds the port can neither read the keys nor enrol a worker (issue 21).
            var secrets = LocalSecrets.LoadOrCreate(Path.GetDirectoryName(Path.GetFullPath(logDirectory))!);
            cluster._children.Add(ChildProcess.Start("redis", redis,
                [secrets.WriteRedisConfig(), "--port", $"{redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], logDirectory));
            var dotnet = Environment.ProcessPath ?? "dotnet";
            var self = typeof(LocalCluster).Assembly.Location;
            for (var i = 1; i <= workers; i++)
            {
                cluster._children.Add(ChildProcess.Start($"worker-{i}", dotnet,
                [
                    self, "worker", "--urls", $"http://127.0.0.1:{FreePort()}",
                    $"--Worker:ModelDirectory={modelDirectory}", $"--Worker:WorkerId=worker-{i}", $"--Redis:Endpoint=127.0.0.1:{redisPort}",
                ], logDirectory, secrets.WorkerEnvironment()));
            }
            cluster._children.Add(ChildProcess.Start("gateway", dotnet,
                [self, "gateway", "--urls", cluster.Gateway.ToString(), $"--Gateway:RedisEndpoint=127.0.0.1:{redisPort}"], logDirectory, secrets.GatewayEnvironment()));
            await cluster.WaitUntilReadyAsync(workers, cancellationToken).ConfigureAwait(false);
            cluster._supervisor = Task.Run(() => cluster.SuperviseAsync(output, cluster._stopping.Token), CancellationToken.None);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Ready when the gateway's /health lists every worker (each has loaded its model and sent a heartbeat).</summary>
    private async Task WaitUntilReadyAsync(int workers, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Gateway, Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            var dead = _children.FirstOrDefault(c => c.HasExited);
            if (dead is not null) throw new InvalidOperationException($"{dead.Name} exited during start-up; see {Path.Combine(LogDirectory, dead.Name + ".log")}");
            try
            {
                var health = await http.GetStringAsync("/health", cancellationToken).ConfigureAwait(false);
                if (health.Split("\"workerId\"").Length - 1 >= workers) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException($"the gateway did not report {workers} worker(s) within 3 minutes; logs in {LogDirectory}");
    }

    private async Task SuperviseAsync(TextWriter output, CancellationToken stopping)
    {
        var restarts = _children.ToDictionary(c => c.Name, _ => new Queue<DateTimeOffset>());
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                foreach (var child in _children.Where(c => c.HasExited))
                {
                    var recent = restarts[child.Name];
                    while (recent.Count > 0 && recent.Peek() < DateTimeOffset.UtcNow.AddMinutes(-1)) recent.Dequeue();
                    if (recent.Count >= MaxRestartsPerMinute)
                    {
                        if (recent.Count == MaxRestartsPerMinute)
                        {
                            output.WriteLine($"{child.Name} keeps exiting ({MaxRestartsPerMinute} restarts in a minute); not restarting it. See {Path.Combine(LogDirectory, child.Name + ".log")}");
                            recent.Enqueue(DateTimeOffset.UtcNow);
                        }
                        continue;
                    }
                    output.WriteLine($"{child.Name} exited (code {child.ExitCode}); restarting it");
                    recent.Enqueue(DateTimeOffset.UtcNow);
                    child.Restart();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string FindRedisServer()
    {
        foreach (var candidate in new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" })
        {
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("redis-server not found; install Debian's redis-server (./splitcompute does this on first use)");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _supervisor.ConfigureAwait(false);
        _stopping.Dispose();
        // Gateway first, then workers (they delete their heartbeats), then Redis.
        for (var i = _children.Count - 1; i >= 0; i--) await _children[i].DisposeAsync().ConfigureAwait(false);
        _children.Clear();
    }
}
