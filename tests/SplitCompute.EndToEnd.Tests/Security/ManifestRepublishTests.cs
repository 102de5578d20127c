using SplitCompute.InferenceWorker.Hosting;
using SplitCompute.Protocol.Heartbeats;
using SplitCompute.RedisConnection;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// Gateways sign manifests from Redis, so a worker must keep its manifest there: after it expired or was flushed, it is written
/// again within Worker:ManifestRepublishSeconds (here 1 s), without a reconnect.
/// </summary>
public sealed class ManifestRepublishTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    [Fact]
    public async Task A_deleted_manifest_is_published_again_by_a_running_worker()
    {
        await using var worker = WorkerApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Worker:ModelDirectory={cluster.ModelDirectory}",
            $"--Worker:ShardDirectory={cluster.ShardDirectory}",
            "--Worker:WorkerId=w-republish",
            "--Worker:HeartbeatIntervalMs=100",
            "--Worker:ManifestRepublishSeconds=1",
            .. cluster.Redis.WorkerArguments(),
            "--Logging:LogLevel:Default=Warning",
        ]);
        await worker.StartAsync();
        await using var connector = cluster.Redis.Connect();
        var redis = await connector.DatabaseAsync();
        await SplitCluster.WaitUntilAsync(() => cluster.Registry.Current.Workers.Any(w => w.WorkerId == "w-republish"), "the gateway seeing the second worker");
        var heartbeat = WorkerHeartbeat.TryParse((string?)await redis.StringGetAsync(WorkerHeartbeat.KeyPrefix + "w-republish"))!;
        var key = WorkerHeartbeat.ManifestKey(heartbeat.Model, heartbeat.Revision);

        Assert.True(await redis.KeyDeleteAsync(key));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await redis.StringGetAsync(key)).IsNull)
        {
            Assert.True(DateTime.UtcNow < deadline, "the manifest was not published again within 10 s");
            await Task.Delay(50);
        }
        await worker.StopAsync();
    }
}
