using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Gateway.Tests;

/// <summary>
/// The planner's choices move the right way with utilisation, client speed, residency, network, cached shards and energy, and a
/// split that beats cloud-only is never refused for its absolute latency.
/// </summary>
public sealed class SplitPlannerTests
{
    // gpt2-small-like: 12 layers x 768, ~28 MB f32 per layer shard.
    private static readonly ModelProfile Model = new("gpt2", "rev1", 12, 768,
        [.. Enumerable.Range(0, 12).Select(l => new string((char)('a' + l), 64))], [.. Enumerable.Repeat(28_000_000L, 12)],
        new string('z', 64), 6_144);

    private static readonly PlanRequest Request = new(Sequences: 1, PaddedLength: 128, Tokens: 128);

    private static readonly HashSet<string> AllShards = Model.LayerShardHashes.Append(Model.FinalNormHash!).ToHashSet();

    private static WorkerLoad Worker(double queueMs = 0, double msPerLayerToken = 0.01, double utilisation = 0) =>
        new("w1", "http://127.0.0.1:1", "cpu", queueMs, msPerLayerToken, 0.001, 0, 0, 1) { Utilisation = utilisation };

    /// <summary>A client that holds every shard, with its tail resident and no fixed edge costs unless asked.</summary>
    private static ClientProfile Client(double gflops = 2_000, double mbps = 1_000, bool holdsAll = true, bool resident = true, double overheadMs = 0) =>
        new(gflops, 10, mbps, 1, holdsAll ? AllShards : new HashSet<string>())
        {
            ResidentShards = resident ? AllShards : new HashSet<string>(),
            Edge = EdgeCostModel.FromReported(gflops, 10, overheadMs),
        };

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
    public void When_the_GPUs_idle_latency_wins()
    {
        // Cloud: 12 layers x 128 rows x 0.01 ms = 15.4 ms. A 100 GFLOP/s edge needs ~3 ms a layer: slower, so idle keeps it home.
        var slow = Planner().Plan(Model, Worker(utilisation: 0), Client(gflops: 100), Request);
        Assert.True(slow.IsCloudOnly, slow.Reason);
        // A fast edge holding its tail resident is as fast as the cloud: splitting costs nothing, so it takes the whole tail.
        var fast = Planner().Plan(Model, Worker(utilisation: 0), Client(gflops: 20_000), Request);
        Assert.Equal(0, fast.K);
    }

    [Fact]
    public void As_the_GPUs_fill_the_same_client_offloads_more_never_less()
    {
        var planner = Planner(o => o.SlackFraction = 2);  // room enough that the weight, not the budget, decides
        var client = Client(gflops: 150);
        var ks = new[] { 0.0, 0.5, 0.8, 0.95 }.Select(u => planner.Plan(Model, Worker(queueMs: u * 100, utilisation: u), client, Request).K).ToArray();
        for (var i = 1; i < ks.Length; i++) Assert.True(ks[i] <= ks[i - 1], $"k by utilisation: {string.Join(", ", ks)}");
        Assert.True(ks[^1] < ks[0], $"k by utilisation: {string.Join(", ", ks)}");
    }

    [Fact]
    public void Under_heavy_load_a_capable_client_still_splits_whatever_the_absolute_latency()
    {
        // A 3 s queue: every choice is slow, but a split beats cloud-only, so it must not be refused for exceeding any cap.
        var plan = Planner().Plan(Model, Worker(queueMs: 3_000, utilisation: 0.95), Client(gflops: 500), Request);
        Assert.Equal(0, plan.K);
        Assert.True(plan.Predicted.TotalMs > 2_000);
        Assert.True(plan.GpuWeight > 10);
    }

    [Fact]
    public void A_latency_objective_spends_the_headroom_below_it_on_GPU_time_and_nothing_beyond_it()
    {
        // Idle GPUs, a 100 GFLOP/s edge: ~3 ms a layer against the cloud's 1.3, so without an objective latency wins (cloud-only).
        var client = Client(gflops: 100);
        Assert.True(Planner().Plan(Model, Worker(), client, Request).IsCloudOnly);
        var fullTail = Planner().Predict(Model, Worker(), client, Request, 0).TotalMs;
        // An objective the whole tail fits in: the answer is as good at any k, so the least GPU time wins.
        var roomy = Planner(o => o.LatencySloMs = fullTail + 1).Plan(Model, Worker(), client, Request);
        Assert.Equal(0, roomy.K);
        Assert.Contains("latency objective", roomy.Reason, StringComparison.Ordinal);
        // A tighter one: the deepest split that still fits it, never one predicted beyond it.
        var tight = Planner(o => o.LatencySloMs = fullTail / 2).Plan(Model, Worker(), client, Request);
        Assert.InRange(tight.K, 1, 11);
        Assert.True(tight.Predicted.TotalMs <= fullTail / 2, $"k={tight.K} predicted {tight.Predicted.TotalMs:F1} ms over the objective {fullTail / 2:F1}");
        var oneLess = Planner().Predict(Model, Worker(), client, Request, tight.K - 1).TotalMs;
        Assert.True(oneLess > fullTail / 2, $"k={tight.K - 1} ({oneLess:F1} ms) also fits the objective {fullTail / 2:F1}");
        // An objective below cloud-only's own latency changes nothing: latency beyond it counts as before.
        Assert.True(Planner(o => o.LatencySloMs = 1).Plan(Model, Worker(), client, Request).IsCloudOnly);
        // Energy still counts within the objective: a client on battery keeps its edge for what the GPU time is worth.
        var battery = client with { Energy = new ClientEnergy(OnBattery: true, SaveEnergy: false) };
        Assert.True(Planner(o => o.LatencySloMs = fullTail + 1).Plan(Model, Worker(), battery, Request).IsCloudOnly);
    }

    [Fact]
    public void A_slower_client_gets_fewer_layers()
    {
        var planner = Planner();
        var fast = planner.Plan(Model, Worker(utilisation: 0.6), Client(gflops: 2_000), Request);
        var slow = planner.Plan(Model, Worker(utilisation: 0.6), Client(gflops: 60), Request);
        Assert.True(slow.K > fast.K, $"slow client k={slow.K} should be above fast client k={fast.K}");
    }

    [Fact]
    public void Missing_shards_on_a_slow_link_keep_a_new_client_in_the_cloud_and_are_amortised_over_a_regular_clients_requests()
    {
        // 12 x 28 MB over 1 Gbit/s is ~2.7 s: a client's first request cannot pay that.
        var first = Planner().Plan(Model, Worker(utilisation: 0.8), Client(holdsAll: false), Request);
        Assert.True(first.IsCloudOnly, first.Reason);
        // A client that made 10,000 requests will make many more: spread over 1,000 of them the download is ~2.7 ms.
        var regular = Planner().Plan(Model, Worker(utilisation: 0.8), Client(holdsAll: false) with { RequestsSeen = 10_000 }, Request);
        Assert.True(regular.K < first.K, regular.Reason);
        Assert.True(regular.Predicted.DownloadMs > 1_000, "the prediction itself still shows the whole download");
    }

    [Fact]
    public void Shards_held_by_16_character_prefix_count_as_held_and_resident()
    {
        var prefixes = AllShards.Select(h => h[..16]).ToHashSet();
        var client = Client(resident: false) with { HeldShards = prefixes, ResidentShards = prefixes };
        var p = Planner().Predict(Model, Worker(), client, Request, 0);
        Assert.Equal(0, p.DownloadMs);
        Assert.Equal(0, p.LoadMs);
        Assert.True(Planner().Predict(Model, Worker(), Client(holdsAll: false), Request, 0).DownloadMs > 0);
    }

    [Fact]
    public void A_tail_not_resident_pays_loading_its_weights()
    {
        var resident = Planner().Predict(Model, Worker(), Client(), Request, 6);
        var cold = Planner().Predict(Model, Worker(), Client(resident: false), Request, 6);
        Assert.Equal(0, resident.LoadMs);
        Assert.Equal((6 * 28_000_000 + 6_144) / 1e6 / 10, cold.LoadMs, 6);  // 10 GB/s reported upload = 0.1 ms per MB
    }

    [Fact]
    public void A_client_on_battery_asking_to_save_energy_stays_in_the_cloud_and_battery_alone_offloads_less()
    {
        var planner = Planner();
        var worker = Worker(utilisation: 0.3);
        var mains = planner.Plan(Model, worker, Client(gflops: 1_500), Request);
        var battery = planner.Plan(Model, worker, Client(gflops: 1_500) with { Energy = new ClientEnergy(OnBattery: true, SaveEnergy: false) }, Request);
        var save = planner.Plan(Model, worker, Client(gflops: 1_500) with { Energy = new ClientEnergy(OnBattery: true, SaveEnergy: true) }, Request);
        Assert.True(mains.K < 12, mains.Reason);
        Assert.True(battery.K > mains.K, $"battery k={battery.K}, mains k={mains.K}");
        Assert.True(save.IsCloudOnly);
        Assert.Contains("energy", save.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_forced_split_is_honoured_only_when_allowed()
    {
        Assert.Equal(3, Planner().Plan(Model, Worker(), Client(), Request, SplitPreference.Force(3)).K);
        Assert.Equal(12, Planner(o => o.AllowForcedSplit = false).Plan(Model, Worker(), Client(gflops: 1), Request, SplitPreference.Force(3)).K);
    }

    [Fact]
    public void Embeddings_only_skips_the_queue_of_a_worker_that_answers_it_from_host_memory()
    {
        // A 2 s queue; a 300 GFLOP/s client holding its tail: its whole tail takes ~0.36 s, less than the wait.
        var queued = Worker(queueMs: 2_000) with { EmbedsOutsideQueue = true };
        Assert.Equal(0, Planner().Predict(Model, queued, Client(gflops: 300), Request, 0).QueueMs);
        Assert.Equal(2_000, Planner().Predict(Model, queued, Client(gflops: 300), Request, 1).QueueMs);
        Assert.Equal(2_000, Planner().Predict(Model, Worker(queueMs: 2_000), Client(gflops: 300), Request, 0).QueueMs);  // older workers
        var plan = Planner().Plan(Model, queued, Client(gflops: 300), Request);
        Assert.Equal(0, plan.K);
        Assert.True(plan.Predicted.TotalMs < plan.CloudOnly.TotalMs, plan.Reason);
    }

    [Fact]
    public void Stage_predictions_follow_the_cost_model()
    {
        var client = Client(gflops: 1_000, mbps: 80, resident: false, overheadMs: 12) with
        {
            Edge = new EdgeCostModel(ComputeFixedMs: 3, ComputeMsPerGflop: 1, LoadFixedMs: 2, LoadMsPerMb: 0.5, OverheadMs: 12),
        };
        var p = Planner().Predict(Model, Worker(queueMs: 7, msPerLayerToken: 0.02), client, Request, 4);
        Assert.Equal(7, p.QueueMs);
        Assert.Equal((128 * 0.001) + (4 * 128 * 0.02), p.CloudMs, 6);
        Assert.Equal(1 + (128.0 * 768 * 4 / (80 * 125.0)), p.TransferMs, 6);
        Assert.Equal(0, p.DownloadMs);
        var flops = (24.0 * 128 * 768 * 768) + (2.0 * 128 * 128 * 768);
        Assert.Equal(3 + (8 * flops / 1e9), p.EdgeMs, 6);
        Assert.Equal(2 + (0.5 * ((8 * 28_000_000) + 6_144) / 1e6), p.LoadMs, 6);
        Assert.Equal(12, p.OverheadMs);
        Assert.Equal(p.QueueMs + p.CloudMs + p.TransferMs + p.LoadMs + p.EdgeMs + p.OverheadMs, p.TotalMs, 9);
    }

    [Fact]
    public void A_queue_reveals_utilisation_before_the_busy_average_does()
    {
        Assert.Equal(0.3, GpuTimeWeight.Utilisation(0.3, 0, 10), 9);
        Assert.Equal(0.9, GpuTimeWeight.Utilisation(0.1, 90, 10), 9);  // W = 9 S: u = 0.9
        Assert.Equal(0, GpuTimeWeight.Utilisation(double.NaN, 0, 0), 9);
        // A worker whose busy average still says idle but has 2 s queued: the same client offloads as under measured load.
        var planner = Planner();
        var client = Client(gflops: 500);
        Assert.True(planner.Plan(Model, Worker(queueMs: 0, utilisation: 0), client, Request).IsCloudOnly);
        Assert.Equal(0, planner.Plan(Model, Worker(queueMs: 2_000, utilisation: 0), client, Request).K);
    }

    [Fact]
    public void A_saturated_queue_values_GPU_time_by_the_requests_waiting_without_a_cap()
    {
        Assert.Equal(0.1 + 400, GpuTimeWeight.For(0, 4_000, 10, 0.1, 0.95), 9);   // 400 requests of this size wait
        Assert.Equal(19.1, GpuTimeWeight.For(1, 10, 10, 0.1, 0.95), 9);          // the busy share alone stays capped
        // A desktop 20x slower than the GPU: under a 40 s queue, saving the GPU's milliseconds is worth its edge time.
        var plan = Planner().Plan(Model, Worker(queueMs: 40_000, utilisation: 1), Client(gflops: 70), Request);
        Assert.True(plan.K < 12, plan.Reason);
    }

    [Fact]
    public void An_unmeasured_client_is_probed_now_and_then_with_a_wider_budget_until_its_first_feedback()
    {
        // 600 GFLOP/s reported: the whole tail predicted ~37 ms against 15 ms cloud-only, outside the usual budget.
        var planner = Planner();
        var client = Client(gflops: 600);
        Assert.True(planner.Plan(Model, Worker(), client with { RequestsSeen = 19 }, Request).IsCloudOnly);
        var probe = planner.Plan(Model, Worker(), client with { RequestsSeen = 20 }, Request);
        Assert.True(probe.K < 12, probe.Reason);
        Assert.Contains("probe", probe.Reason, StringComparison.Ordinal);
        Assert.True(probe.Predicted.TotalMs <= (2 * probe.CloudOnly.TotalMs) + 5);
        Assert.True(planner.Plan(Model, Worker(), client with { RequestsSeen = 20, EdgeMeasured = true }, Request).IsCloudOnly);
        Assert.True(Planner(o => o.ProbeEvery = 0).Plan(Model, Worker(), client with { RequestsSeen = 20 }, Request).IsCloudOnly);
    }

    [Fact]
    public void The_GPU_weight_is_small_when_idle_grows_with_utilisation_and_is_capped()
    {
        Assert.Equal(0.1, GpuTimeWeight.At(0, 0.1, 0.95), 9);
        Assert.Equal(1.1, GpuTimeWeight.At(0.5, 0.1, 0.95), 9);
        Assert.Equal(19.1, GpuTimeWeight.At(1, 0.1, 0.95), 9);
        Assert.Equal(0.1, GpuTimeWeight.At(double.NaN, 0.1, 0.95), 9);
    }
}
