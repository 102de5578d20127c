using Microsoft.AspNetCore.Builder;
using SplitCompute.Gateway.Access;
using SplitCompute.Gateway.Hosting;
using SplitCompute.RedisConnection;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// A real deployment with API keys required, CORS for one origin, a manifest signing key in its own file, and a second
/// gateway replica sharing the same Redis (and signing key), as a deployment with two gateways behind a load balancer runs.
/// </summary>
public class AccessCluster : SplitCluster
{
    public const string AllowedOrigin = "https://app.example";
    public const double CacheSeconds = 0.5;

    public AccessCluster()
        : this(Path.Combine(Path.GetTempPath(), $"splitcompute-signing-{Guid.NewGuid():N}.pem"))
    {
    }

    private AccessCluster(string signingKeyPath)
        : base(Options(signingKeyPath)) => SigningKeyPath = signingKeyPath;

    public string SigningKeyPath { get; }

    public WebApplication Replica { get; private set; } = null!;
    public Uri ReplicaUri { get; private set; } = null!;
    public RedisConnector Redis2 { get; private set; } = null!;

    /// <summary>Key store on the cluster's Redis, as `splitcompute keys` uses it.</summary>
    public ApiKeyStore Keys { get; private set; } = null!;

    private static string[] Options(string signingKeyPath) =>
    [
        "--Gateway:RequireApiKeys=true",
        $"--Gateway:ApiKeyCacheSeconds={CacheSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        $"--Gateway:CorsAllowedOrigins:0={AllowedOrigin}",
        $"--Gateway:ManifestSigningKeyPath={signingKeyPath}",
    ];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Redis2 = Redis.Connect();
        Keys = new ApiKeyStore(Redis2, TimeProvider.System);
        Replica = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            .. Redis.GatewayArguments(),
            "--Gateway:RefreshIntervalMs=50",
            "--Logging:LogLevel:Default=Warning",
            .. Options(SigningKeyPath),
        ]);
        await Replica.StartAsync();
        ReplicaUri = new Uri(Address(Replica));
    }

    /// <summary>A fresh key with the given limits (0 = unlimited).</summary>
    public async Task<(string Key, ApiKeyRecord Record)> NewKeyAsync(int rate = 0, int concurrency = 0, string name = "test", int tokensPerMinute = 0, int tokensInFlight = 0) =>
        await Keys.CreateAsync(name, rate, concurrency, tokensPerMinute, tokensInFlight);

    /// <summary>Waits until <paramref name="count"/> embeddings requests of the key hold a concurrency slot in Redis.</summary>
    public async Task WaitForSlotsAsync(ApiKeyRecord key, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var database = await Redis2.DatabaseAsync();
        // The key's hash holds each replica's share of its concurrency limit as "units:expiry"; small limits are shared exactly.
        async Task<long> HeldAsync() => (await database.HashValuesAsync(RedisKeyLimiter.ConcurrencyKeyPrefix + key.Id))
            .Sum(v => long.Parse(((string)v!).Split(':')[0], System.Globalization.CultureInfo.InvariantCulture));
        while (await HeldAsync() < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"key {key.Id} did not hold {count} slot(s) within 10 s");
            await Task.Delay(10);
        }
    }

    public HttpClient NewHttpClient(string? key, Uri? gateway = null)
    {
        var http = new HttpClient { BaseAddress = gateway ?? GatewayUri };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    public override async Task DisposeAsync()
    {
        await Replica.StopAsync();
        await Replica.DisposeAsync();
        await Redis2.DisposeAsync();
        await base.DisposeAsync();
        File.Delete(SigningKeyPath);
    }
}
