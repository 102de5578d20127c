using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Model.Config;
using SplitCompute.Model.Init;
using SplitCompute.Redis.Tests;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// A deployment made of separate OS processes on loopback - redis-server, two `splitcompute worker`s and one `splitcompute gateway` -
/// serving a generated tiny GPT-2, so tests can kill and restart any part of it while clients keep sending.
/// </summary>
internal sealed class LiveCluster : IAsyncDisposable
{
    public const int Layers = 4;

    private readonly string _root = Directory.CreateTempSubdirectory("splitcompute-live-").FullName;

    private LiveCluster()
    {
    }

    public RedisServerFixture Redis { get; } = new();

    public List<ServiceProcess> Workers { get; } = [];

    public ServiceProcess Gateway { get; private set; } = null!;

    public string ModelDirectory => Path.Combine(_root, "model");

    public static Task<LiveCluster> StartAsync(int workers = 2, params string[] gatewayArgs) => StartCoreAsync(workers, [], gatewayArgs);

    /// <summary>A cluster whose gateway and workers share <paramref name="secret"/> (Cluster:Secret): sealed heartbeats, tokens to workers.</summary>
    public static Task<LiveCluster> StartSealedAsync(int workers, string secret) =>
        StartCoreAsync(workers, [$"--Cluster:Secret={secret}"], [$"--Cluster:Secret={secret}"]);

    private static async Task<LiveCluster> StartCoreAsync(int workers, string[] workerArgs, string[] gatewayArgs)
    {
        var cluster = new LiveCluster();
        RandomModelWriter.Write(cluster.ModelDirectory, Gpt2Config.Preset("tiny"), seed: 11);
        await cluster.Redis.InitializeAsync();
        for (var i = 1; i <= workers; i++)
        {
            var worker = new ServiceProcess($"worker w{i}", ServiceProcess.FreePort(), ["worker",
                $"--Worker:ModelDirectory={cluster.ModelDirectory}", $"--Worker:ShardDirectory={Path.Combine(cluster._root, $"shards-w{i}")}",
                $"--Worker:WorkerId=w{i}", "--Worker:HeartbeatIntervalMs=100", "--Worker:HeartbeatTtlMs=1000", "--Worker:Threads=1",
                $"--Redis:Endpoint={cluster.Redis.Endpoint}", "--Logging:LogLevel:Default=Warning", .. workerArgs]);
            cluster.Workers.Add(worker);
        }
        await Task.WhenAll(cluster.Workers.Select(w => w.StartAsync()));
        cluster.Gateway = new ServiceProcess("gateway", ServiceProcess.FreePort(), ["gateway",
            $"--Gateway:RedisEndpoint={cluster.Redis.Endpoint}", "--Gateway:RefreshIntervalMs=50", "--Gateway:WorkerTimeoutSeconds=10",
            "--Logging:LogLevel:Default=Warning", .. gatewayArgs]);
        await cluster.Gateway.StartAsync();
        await cluster.WaitForWorkersAsync(workers);
        return cluster;
    }

    public async Task WaitForWorkersAsync(int count)
    {
        using var http = new HttpClient { BaseAddress = Gateway.Url, Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                var health = await http.GetStringAsync("/health");
                if (health.Split("\"workerId\"").Length - 1 >= count) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"the gateway did not see {count} workers");
    }

    public EdgeClient NewEdgeClient() =>
        new(new EdgeOptions(Gateway.Url, Path.Combine(_root, "cache-" + Guid.NewGuid().ToString("N"))) { Gflops = 50, DownlinkMbps = 10_000 });

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        foreach (var worker in Workers) await worker.DisposeAsync();
        await Redis.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
