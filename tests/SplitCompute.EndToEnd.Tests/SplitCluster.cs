using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Gateway.Hosting;
using SplitCompute.InferenceWorker.Hosting;
using SplitCompute.Model.Config;
using SplitCompute.Model.Init;
using SplitCompute.Redis.Tests;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// One real deployment on loopback: redis-server, inference workers and a gateway, each a real Kestrel server on a free port,
/// serving the gpt2-tiny fixture (Hugging Face weights) with shards in a temporary directory. Subclasses pass extra gateway
/// options (each test class gets its own cluster, so one that breaks Redis or a shard cannot disturb another).
/// </summary>
public class SplitCluster : IAsyncLifetime
{
    public const string Model = "tiny-e2e";
    public const string WorkerId = "w1";
    private readonly List<WebApplication> _workers = [];
    private readonly string _root = Directory.CreateTempSubdirectory("splitcompute-e2e-").FullName;

    public SplitCluster()
        : this([])
    {
    }

    /// <param name="gatewayOptions">Extra gateway arguments, e.g. "--Gateway:WorkerTimeoutSeconds=2".</param>
    /// <param name="redis">The redis-server the services use (default: a plain one; e.g. one with an ACL user and TLS).</param>
    protected SplitCluster(string[] gatewayOptions, RedisServerFixture? redis = null)
    {
        GatewayOptions = gatewayOptions;
        Redis = redis ?? new RedisServerFixture();
    }

    /// <summary>Extra gateway arguments; a subclass may set them in <see cref="InitializeAsync"/> before the gateway starts.</summary>
    protected string[] GatewayOptions { get; set; }

    /// <summary>Extra arguments for every worker, e.g. where its telemetry goes.</summary>
    protected string[] WorkerOptions { get; set; } = [];

    public RedisServerFixture Redis { get; }
    public WebApplication Gateway { get; private set; } = null!;
    public Uri GatewayUri { get; private set; } = null!;
    public IReadOnlyList<WebApplication> Workers => _workers;

    /// <summary>A generated tiny GPT-2 (4 layers x 64, the full 50257-token vocabulary) named after this cluster's model.</summary>
    public string ModelDirectory => Path.Combine(_root, Model);

    public string ShardDirectory => Path.Combine(_root, "shards");

    public virtual async Task InitializeAsync()
    {
        WriteModel(ModelDirectory);
        PrepareModel(ModelDirectory);
        await Redis.InitializeAsync();
        await AddWorkerAsync(WorkerId);
        Gateway = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            .. Redis.GatewayArguments(),
            "--Gateway:RefreshIntervalMs=50",
            "--Logging:LogLevel:Default=Warning",
            .. GatewayOptions,
        ]);
        await Gateway.StartAsync();
        GatewayUri = new Uri(Address(Gateway));
        await WaitForWorkersAsync(1);
    }

    /// <summary>Writes the model the workers serve: the seeded tiny GPT-2 unless a subclass serves another.</summary>
    protected virtual void WriteModel(string directory) => RandomModelWriter.Write(directory, Gpt2Config.Preset("tiny"), seed: 7);

    /// <summary>Whether the served model publishes a shard manifest (a model served whole publishes none).</summary>
    protected virtual bool PublishesManifest => true;

    /// <summary>Adds files to the generated model directory before any worker loads it (e.g. embedding.json).</summary>
    protected virtual void PrepareModel(string directory)
    {
    }

    public async Task<WebApplication> AddWorkerAsync(string id)
    {
        var worker = WorkerApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Worker:ModelDirectory={ModelDirectory}",
            $"--Worker:ShardDirectory={ShardDirectory}",
            $"--Worker:WorkerId={id}",
            "--Worker:HeartbeatIntervalMs=100",
            .. Redis.WorkerArguments(),
            "--Logging:LogLevel:Default=Warning",
            .. WorkerOptions,
        ]);
        await worker.StartAsync();
        _workers.Add(worker);
        return worker;
    }

    /// <summary>Waits until the gateway's registry lists <paramref name="count"/> workers with their manifest.</summary>
    public async Task WaitForWorkersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (Registry.Current.Workers.Count == count && (!PublishesManifest || Registry.Current.Models.ContainsKey(Model))) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"the gateway did not see {count} worker(s) with a manifest within 20 s");
    }

    /// <summary>The gateway's view of the workers, as requests see it.</summary>
    public Gateway.Workers.WorkerRegistry Registry => Gateway.Services.GetRequiredService<Gateway.Workers.WorkerRegistry>();

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds; throws after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} did not happen within {seconds} s");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Runs <paramref name="test"/> with the gateway valuing idle GPU time at <paramref name="idleGpuWeight"/> (as a busy fleet
    /// would), so plans turn on the clients' own figures whatever the worker's recent busy share; restored afterwards.
    /// </summary>
    public async Task WithIdleGpuWeightAsync(double idleGpuWeight, Func<Task> test)
    {
        ArgumentNullException.ThrowIfNull(test);
        var planner = Gateway.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Gateway.Planning.PlannerOptions>>().Value;
        var before = planner.IdleGpuWeight;
        planner.IdleGpuWeight = idleGpuWeight;
        try
        {
            await test();
        }
        finally
        {
            planner.IdleGpuWeight = before;
        }
    }

    public string NewCacheDirectory() => Path.Combine(_root, $"edge-{Guid.NewGuid():N}");

    /// <param name="sendFeedback">False keeps the gateway planning this client by its reported figures (its real, measured speed
    /// would otherwise replace them after its first split).</param>
    public EdgeClient NewEdgeClient(double gflops = 50, double downlinkMbps = 10_000, string? cache = null, HttpMessageHandler? handler = null, bool sendFeedback = true) =>
        NewEdgeClient(GatewayUri, gflops, downlinkMbps, cache, handler, sendFeedback);

    /// <summary>An edge client of this cluster's kind pointed at any address (e.g. a stub posing as the gateway).</summary>
    public EdgeClient NewEdgeClient(Uri gateway, double gflops = 50, double downlinkMbps = 10_000, string? cache = null, HttpMessageHandler? handler = null,
        bool sendFeedback = true) =>
        new(new EdgeOptions(gateway, cache ?? NewCacheDirectory())
        {
            Gflops = gflops,
            DownlinkMbps = downlinkMbps,
            RttMs = 1,
            SendFeedback = sendFeedback,
            Prefetch = false,  // tests that want the background prefetch ask for it; others count their own downloads
        }, handler);

    public HttpClient NewHttpClient() => new() { BaseAddress = GatewayUri };

    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public virtual async Task DisposeAsync()
    {
        await Gateway.StopAsync();
        await Gateway.DisposeAsync();
        foreach (var worker in _workers)
        {
            await worker.StopAsync();
            await worker.DisposeAsync();
        }
        await Redis.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Body helpers for OpenAI-style requests.</summary>
internal static class Requests
{
    public static JsonContent Texts(params string[] texts) => JsonContent.Create(new { model = SplitCluster.Model, input = texts });

    public static JsonContent Ids(params int[][] ids) => JsonContent.Create(new { model = SplitCluster.Model, input = ids });
}
