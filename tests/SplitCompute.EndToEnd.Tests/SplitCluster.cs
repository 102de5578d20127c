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
/// serving the gpt2-tiny fixture (Hugging Face weights) with shards in a temporary directory.
/// </summary>
public sealed class SplitCluster : IAsyncLifetime
{
    public const string Model = "tiny-e2e";
    private readonly List<WebApplication> _workers = [];
    private readonly string _root = Directory.CreateTempSubdirectory("splitcompute-e2e-").FullName;

    public RedisServerFixture Redis { get; } = new();
    public WebApplication Gateway { get; private set; } = null!;
    public Uri GatewayUri { get; private set; } = null!;
    public IReadOnlyList<WebApplication> Workers => _workers;

    /// <summary>A generated tiny GPT-2 (4 layers x 64, the full 50257-token vocabulary) named after this cluster's model.</summary>
    public string ModelDirectory => Path.Combine(_root, Model);

    public string ShardDirectory => Path.Combine(_root, "shards");

    public async Task InitializeAsync()
    {
        RandomModelWriter.Write(ModelDirectory, Gpt2Config.Preset("tiny"), seed: 7);
        await Redis.InitializeAsync();
        await AddWorkerAsync("w1");
        Gateway = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Gateway:RedisEndpoint={Redis.Endpoint}",
            "--Gateway:RefreshIntervalMs=50",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await Gateway.StartAsync();
        GatewayUri = new Uri(Address(Gateway));
        await WaitForWorkersAsync(1);
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
            $"--Redis:Endpoint={Redis.Endpoint}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await worker.StartAsync();
        _workers.Add(worker);
        return worker;
    }

    /// <summary>Waits until the gateway's registry lists <paramref name="count"/> workers with their manifest.</summary>
    public async Task WaitForWorkersAsync(int count)
    {
        using var http = new HttpClient { BaseAddress = GatewayUri };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var registry = Gateway.Services.GetRequiredService<Gateway.Workers.WorkerRegistry>();
            if (registry.Current.Workers.Count == count && registry.Current.Models.ContainsKey(Model)) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"the gateway did not see {count} worker(s) with a manifest within 20 s");
    }

    public EdgeClient NewEdgeClient(double gflops = 50, double downlinkMbps = 10_000, string? cache = null) =>
        new(new EdgeOptions(GatewayUri, cache ?? Path.Combine(_root, $"edge-{Guid.NewGuid():N}"))
        {
            Gflops = gflops,
            DownlinkMbps = downlinkMbps,
            RttMs = 1,
        });

    public HttpClient NewHttpClient() => new() { BaseAddress = GatewayUri };

    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public async Task DisposeAsync()
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
