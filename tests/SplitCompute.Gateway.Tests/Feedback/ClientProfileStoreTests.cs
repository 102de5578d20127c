using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Gateway.Tests.Feedback;

/// <summary>Feedback becomes per-client averages computed from the gateway's own record of each decision, within a bounded store.</summary>
public sealed class ClientProfileStoreTests
{
    private static readonly PlanRequest Request = new(Sequences: 2, PaddedLength: 64, Tokens: 100);

    private static ClientProfileStore Store(int maxClients = 100, double weight = 0.5) =>
        new(Options.Create(new FeedbackOptions { MaxClients = maxClients, EwmaWeight = weight, MinDownloadBytesForDownlink = 1_000_000 }), new FakeTimeProvider());

    private static IssuedDecision Decision(string client, int k = 8, int n = 12) => new(client, "gpt2", k, n, 768, Request, DateTimeOffset.UnixEpoch);

    private static EdgeFeedback Feedback(double edgeMs, long downloadedBytes = 0, double downloadMs = 0, bool fellBack = false, int k = 8) =>
        new(DecisionId.New(), "gpt2", k, 12, 10, downloadMs, downloadedBytes, edgeMs, 10 + downloadMs + edgeMs, fellBack);

    [Fact]
    public void Edge_speed_is_the_decisions_layer_FLOPs_over_the_measured_milliseconds()
    {
        var store = Store();
        var profile = store.Record(Decision("c1"), Feedback(edgeMs: 40));

        var flops = 4 * LayerCost.Flops(768, Request);  // layers [8, 12) at B=2, T=64
        Assert.Equal(flops / 40e6, profile.EdgeGflops!.Value, 9);
        Assert.Equal(10, profile.EdgeMsPerLayer!.Value, 9);
        Assert.Null(profile.DownlinkMbps);
        Assert.Equal(1, profile.Samples);
    }

    [Fact]
    public void Later_samples_move_the_average_by_the_configured_weight()
    {
        var store = Store(weight: 0.5);
        store.Record(Decision("c1"), Feedback(edgeMs: 40));  // 10 ms per layer
        var profile = store.Record(Decision("c1"), Feedback(edgeMs: 120));  // 30 ms per layer

        Assert.Equal(20, profile.EdgeMsPerLayer!.Value, 9);
        Assert.Equal(2, profile.Samples);
    }

    [Fact]
    public void Downlink_is_measured_only_from_downloads_large_enough_to_show_bandwidth()
    {
        var store = Store();
        Assert.Null(store.Record(Decision("c1"), Feedback(edgeMs: 1, downloadedBytes: 500_000, downloadMs: 10)).DownlinkMbps);
        var profile = store.Record(Decision("c1"), Feedback(edgeMs: 1, downloadedBytes: 25_000_000, downloadMs: 2_000));
        Assert.Equal(100, profile.DownlinkMbps!.Value, 9);  // 25 MB in 2 s = 100 Mbit/s
    }

    [Fact]
    public void The_edge_model_converges_to_a_clients_fixed_and_per_GFLOP_cost_whatever_k_was()
    {
        // The client really costs 25 ms + 4 ms per GFLOP; its headers claimed 1,000 GFLOP/s (1 ms per GFLOP, no fixed cost).
        var store = Store();
        var prior = EdgeCostModel.FromReported(1_000, 1, 0);
        MeasuredClientProfile profile = null!;
        foreach (var k in new[] { 8, 2, 10, 5, 0, 11, 6 })
        {
            var gflop = (12 - k) * LayerCost.Flops(768, Request) / 1e9;
            var edgeMs = 25 + (4 * gflop);
            profile = store.Record(Decision("c1", k) with { Edge = prior }, Feedback(edgeMs, k: k));
        }
        var model = profile.EdgeModel(prior);
        Assert.InRange(model.ComputeFixedMs, 23, 27);
        Assert.InRange(model.ComputeMsPerGflop, 3.8, 4.2);
    }

    [Fact]
    public void Loading_is_fitted_apart_from_compute_so_every_feedback_teaches_something()
    {
        // A one-shot process loads its weights every time: 2 ms per MB on top of 30 ms of compute.
        var store = Store();
        var prior = EdgeCostModel.FromReported(1_000, 1, 0);
        MeasuredClientProfile profile = null!;
        foreach (var mb in new[] { 100.0, 20, 60, 10, 80 })
        {
            var loadMs = 2 * mb;
            profile = store.Record(Decision("c1") with { Edge = prior },
                Feedback(edgeMs: 30 + loadMs) with { WeightsLoaded = true, LoadMs = loadMs, LoadedBytes = (long)(mb * 1e6) });
        }
        Assert.InRange(profile.Load!.Value.B, 1.9, 2.1);
        Assert.NotNull(profile.Compute);
        Assert.InRange(profile.EdgeModel(prior).ComputeMs((12 - 8) * LayerCost.Flops(768, Request) / 1e9), 29, 31);
    }

    [Fact]
    public void Overhead_and_round_trip_are_measured_from_what_the_stages_do_not_explain()
    {
        var store = Store(weight: 1);
        var decision = Decision("c1") with { WorkerTotalMs = 6, PlannedDownlinkMbps = 1_000 };
        // request 10 ms of which the worker took 6 and the hidden state (2 x 64 x 768 x 4 B at 1 Gbit/s) ~3.1 ms: ~0.9 ms of round trip.
        var profile = store.Record(decision, Feedback(edgeMs: 40) with { TotalMs = 10 + 40 + 15 });
        Assert.Equal(15, profile.OverheadMs!.Value, 9);
        Assert.Equal(10 - 6 - (2.0 * 64 * 768 * 4 / 125_000), profile.RttMs!.Value, 6);
    }

    [Fact]
    public void Denormal_milliseconds_never_make_a_figure_non_finite()
    {
        var store = Store();
        store.Record(Decision("c1"), Feedback(edgeMs: 40));
        var profile = store.Record(Decision("c1"), Feedback(edgeMs: 5e-324, downloadedBytes: 25_000_000, downloadMs: 5e-324));
        Assert.True(double.IsFinite(profile.EdgeGflops!.Value) && double.IsFinite(profile.EdgeMsPerLayer!.Value) && double.IsFinite(profile.DownlinkMbps ?? 0), $"{profile}");
        var model = profile.EdgeModel(EdgeCostModel.FromReported(100, 1, 0));
        Assert.True(double.IsFinite(model.ComputeFixedMs) && double.IsFinite(model.ComputeMsPerGflop), $"{model}");
    }

    [Fact]
    public void Any_feedback_the_codec_accepts_keeps_every_figure_within_its_bounds()
    {
        // Property: feedback at the codec's own limits (1 us to 10 min, 0 to 1 TiB) never puts an infinite, NaN or absurd figure
        // (1 TiB in 1 us is 8.8e12 Mbit/s) into a profile, nor into the edge model planned from it.
        var ms = Gen.Elements(0.0, EdgeFeedbackLimits.MinNonZeroMs, 0.002, 1, 40, 5_000, EdgeFeedbackLimits.MaxMs);
        var bytes = Gen.Elements(0L, 1, 300_000, 25_000_000, EdgeFeedbackLimits.MaxDownloadedBytes);
        var feedback = ms.SelectMany(_ => ms, (a, b) => (a, b)).SelectMany(_ => ms, (ab, c) => (ab.a, ab.b, c)).SelectMany(_ => bytes, (t, by) =>
        {
            var (request, download, edge) = t;
            var load = Math.Min(edge, download);
            return new EdgeFeedback(DecisionId.New(), "gpt2", 8, 12, request, download, by, edge, Math.Min(EdgeFeedbackLimits.MaxMs, request + edge),
                false, by > 0, load, by);
        });
        var store = new ClientProfileStore(Options.Create(new FeedbackOptions { EwmaWeight = 1, MinDownloadBytesForDownlink = 0 }), new FakeTimeProvider());
        var decision = Decision("c1") with { WorkerTotalMs = 1, PlannedDownlinkMbps = 1e-3 };
        foreach (var sample in feedback.Sample(500))
        {
            var p = store.Record(decision, sample);
            Assert.True(p.EdgeGflops is null or (>= 0 and <= 1e6) && p.DownlinkMbps is null or (>= 0 and <= 1e6)
                && p.EdgeMsPerLayer is null or (>= 0 and <= 600_000) && p.OverheadMs is null or (>= 0 and <= 600_000) && p.RttMs is null or (>= 0 and <= 600_000),
                $"{sample} gave {p}");
            var model = p.EdgeModel(EdgeCostModel.FromReported(100, 1, 0));
            Assert.True(double.IsFinite(model.ComputeMs(1_000)) && double.IsFinite(model.LoadMs(1_000)), $"{sample} gave {model}");
        }
    }

    [Fact]
    public void Requests_are_counted_without_feedback_and_the_profile_before_is_returned()
    {
        var store = Store();
        Assert.Null(store.Seen("c1"));
        Assert.Equal(1, store.Seen("c1")!.Requests);
        Assert.Equal(2, store.Find("c1")!.Requests);
        Assert.Equal(0, store.Find("c1")!.Samples);
    }

    [Fact]
    public void A_run_that_loaded_the_weights_says_nothing_about_speed()
    {
        var store = Store();
        var loaded = Feedback(edgeMs: 900, downloadedBytes: 25_000_000, downloadMs: 2_000) with { WeightsLoaded = true };
        var profile = store.Record(Decision("c1"), loaded);
        Assert.Null(profile.EdgeGflops);
        Assert.NotNull(profile.DownlinkMbps);
        Assert.Equal(1, profile.Samples);
    }

    [Fact]
    public void A_fallback_is_counted_and_leaves_the_speed_averages_alone()
    {
        var store = Store();
        store.Record(Decision("c1"), Feedback(edgeMs: 40));
        var profile = store.Record(Decision("c1"), Feedback(edgeMs: 0, fellBack: true));
        Assert.Equal(1, profile.Fallbacks);
        Assert.NotNull(profile.LastFallbackAt);
        Assert.Equal(10, profile.EdgeMsPerLayer!.Value, 9);
    }

    [Fact]
    public void Clients_are_kept_apart_and_the_least_recently_used_is_dropped_beyond_the_bound()
    {
        var store = Store(maxClients: 2);
        store.Record(Decision("c1"), Feedback(edgeMs: 40));
        store.Record(Decision("c2"), Feedback(edgeMs: 80));
        Assert.NotNull(store.Find("c1"));  // c1 used: c2 is now the least recently used
        store.Record(Decision("c3"), Feedback(edgeMs: 10));

        Assert.Equal(2, store.Count);
        Assert.Null(store.Find("c2"));
        Assert.Equal(10, store.Find("c1")!.EdgeMsPerLayer!.Value, 9);
        Assert.Equal(2.5, store.Find("c3")!.EdgeMsPerLayer!.Value, 9);
    }
}
