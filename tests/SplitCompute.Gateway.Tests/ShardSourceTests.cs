using SplitCompute.Gateway.Planning;
using SplitCompute.Gateway.Workers;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Tests;

public sealed class ShardSourceTests
{
    private static readonly string ShaA = new('a', 64);
    private static readonly string ShaB = new('b', 64);
    private static readonly string Norm = new('c', 64);

    private static WorkerHeartbeat Worker(string id, string model, string revision, double backlogMs) => new()
    {
        WorkerId = id, Address = $"http://{id}", Model = model, Revision = revision, NLayer = 1, NEmbd = 8, NPositions = 16,
        Device = "cpu", DeviceName = "test", BacklogMs = backlogMs,
    };

    private static WorkerSnapshot Snapshot(params WorkerHeartbeat[] workers) => new(workers, new Dictionary<string, ModelProfile>
    {
        ["alpha"] = new("alpha", "r1", 1, 8, [ShaA], [100], Norm, 10),
        ["beta"] = new("beta", "r1", 1, 8, [ShaB], [100], Norm, 10),
    }, RedisHealthy: true, DateTimeOffset.UnixEpoch);

    [Fact]
    public void A_shard_goes_to_the_workers_whose_revision_lists_it_least_backlog_first()
    {
        var snapshot = Snapshot(Worker("b1", "beta", "r1", 0), Worker("a1", "alpha", "r1", 50), Worker("a2", "alpha", "r1", 5));
        Assert.Equal(["a2", "a1"], snapshot.ShardSources(ShaA).Select(w => w.WorkerId));
        Assert.Equal(["b1"], snapshot.ShardSources(ShaB).Select(w => w.WorkerId));
    }

    [Fact]
    public void A_worker_on_another_revision_of_the_model_is_not_a_source()
    {
        var snapshot = Snapshot(Worker("old", "alpha", "r0", 0), Worker("new", "alpha", "r1", 9));
        Assert.Equal(["new"], snapshot.ShardSources(ShaA).Select(w => w.WorkerId));
    }

    [Fact]
    public void A_shard_no_manifest_lists_may_be_asked_of_any_worker()
    {
        var snapshot = Snapshot(Worker("b1", "beta", "r1", 3), Worker("a1", "alpha", "r1", 1));
        Assert.Equal(["a1", "b1"], snapshot.ShardSources(new string('d', 64)).Select(w => w.WorkerId));
    }

    [Fact]
    public void The_final_norm_shard_is_listed_by_its_revision()
    {
        var snapshot = Snapshot(Worker("a1", "alpha", "r0", 0), Worker("b1", "beta", "r1", 2));
        Assert.Equal(["b1"], snapshot.ShardSources(Norm).Select(w => w.WorkerId));
    }
}
