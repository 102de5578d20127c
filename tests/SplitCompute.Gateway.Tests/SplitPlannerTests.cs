using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Tests;

/// <summary>The planner's decisions move the right way with load, client speed, network and cached shards.</summary>
public sealed class SplitPlannerTests
{
    // gpt2-small-like: 12 layers x 768, ~28 MB f32 per layer shard.
    private static readonly ModelProfile Model = new("gpt2", "rev1", 12, 768,
        [.. Enumerable.Range(0, 12).Select(l => new string((char)('a' + l), 64))], [.. Enumerable.Repeat(28_000_000L, 12)],
        new string('z', 64), 6_144);

    private static readonly PlanRequest Request = new(Sequences: 1, PaddedLength: 128, Tokens: 128);

    private static WorkerLoad Worker(double backlogMs = 0, double msPerLayerToken = 0.01) =>
        new("w1", "http://127.0.0.1:1", "cpu", backlogMs, msPerLayerToken, 0.001, 0, 0, 1);

    private static ClientProfile Client(double gflops = 2_000, double mbps = 1_000, bool holdsAll = true) =>
        new(gflops, 10, mbps, 20, holdsAll ? Model.LayerShardHashes.Append(Model.FinalNormHash).ToHashSet() : new HashSet<string>());

    private static SplitPlanner Planner(Action<PlannerOptions>? configure = null)
    {
        var options = new PlannerOptions();
        configure?.Invoke(options);
        return new SplitPlanner(Options.Create(options));
    }

    [Fact]
    public void No_capabilities_or_split_none_means_cloud_only()
    {
        var planner = Planner();
        Assert.True(planner.Plan(Model, Worker(), null, Request).IsCloudOnly);
        var none = planner.Plan(Model, Worker(), Client(), Request, SplitPreference.None);
        Assert.True(none.IsCloudOnly);
        Assert.Equal(0, none.GpuMsSaved);
    }

    [Fact]
    public void A_fast_client_holding_every_shard_takes_layers()
    {
        var plan = Planner().Plan(Model, Worker(), Client(), Request);
        Assert.True(plan.K < plan.N, plan.Reason);
        Assert.True(plan.GpuMsSaved > 0);
        Assert.True(plan.Predicted.TotalMs <= (plan.CloudOnly.TotalMs * 1.25) + 5);
    }

    [Fact]
    public void A_heavily_loaded_worker_offloads_more_layers()
    {
        var planner = Planner();
        var slowClient = Client(gflops: 300);
        var idle = planner.Plan(Model, Worker(backlogMs: 0), slowClient, Request);
        var loaded = planner.Plan(Model, Worker(backlogMs: 400), slowClient, Request);
        Assert.True(loaded.K < idle.K, $"loaded k={loaded.K} should be below idle k={idle.K}");
    }

    [Fact]
    public void A_slower_client_gets_fewer_layers()
    {
        var planner = Planner();
        var fast = planner.Plan(Model, Worker(), Client(gflops: 2_000), Request);
        var slow = planner.Plan(Model, Worker(), Client(gflops: 200), Request);
        Assert.True(slow.K > fast.K, $"slow client k={slow.K} should be above fast client k={fast.K}");
    }

    [Fact]
    public void Missing_shards_on_a_slow_link_keep_the_request_in_the_cloud()
    {
        // 12 x 28 MB of shards over 1 Gbit/s is seconds; with them cached the same client takes the whole tail.
        var plan = Planner().Plan(Model, Worker(), Client(holdsAll: false), Request);
        Assert.True(plan.IsCloudOnly, plan.Reason);
        var held = Planner().Plan(Model, Worker(), Client(holdsAll: true), Request);
        Assert.True(held.K < plan.K);
    }

    [Fact]
    public void Shards_held_by_16_character_prefix_count_as_held()
    {
        var prefixes = Model.LayerShardHashes.Append(Model.FinalNormHash).Select(h => h[..16]).ToHashSet();
        var client = Client() with { HeldShards = prefixes };
        Assert.Equal(0, Planner().Predict(Model, Worker(), client, Request, 0).DownloadMs);
        Assert.True(Planner().Predict(Model, Worker(), Client(holdsAll: false), Request, 0).DownloadMs > 0);
    }

    [Fact]
    public void The_absolute_limit_is_never_exceeded()
    {
        var plan = Planner(o => o.MaxLatencyMs = 30).Plan(Model, Worker(), Client(gflops: 100), Request);
        Assert.True(plan.IsCloudOnly || plan.Predicted.TotalMs <= 30, $"k={plan.K}: {plan.Predicted.TotalMs} ms");
    }

    [Fact]
    public void A_forced_split_is_honoured_only_when_allowed()
    {
        Assert.Equal(3, Planner().Plan(Model, Worker(), Client(), Request, SplitPreference.Forced, 3).K);
        Assert.Equal(12, Planner(o => o.AllowForcedSplit = false).Plan(Model, Worker(), Client(gflops: 1), Request, SplitPreference.Forced, 3).K);
    }

    [Fact]
    public void Stage_predictions_follow_the_cost_model()
    {
        var client = Client(gflops: 1_000, mbps: 80);
        var p = Planner().Predict(Model, Worker(backlogMs: 7, msPerLayerToken: 0.02), client, Request, 4);
        Assert.Equal(7, p.QueueMs);
        Assert.Equal((128 * 0.001) + (4 * 128 * 0.02), p.CloudMs, 6);
        Assert.Equal(20 + (128.0 * 768 * 4 / (80 * 125.0)), p.TransferMs, 6);
        Assert.Equal(0, p.DownloadMs);
        var flops = (24.0 * 128 * 768 * 768) + (2.0 * 128 * 128 * 768);
        Assert.Equal(8 * flops / 1e9, p.EdgeMs, 6);
    }
}
