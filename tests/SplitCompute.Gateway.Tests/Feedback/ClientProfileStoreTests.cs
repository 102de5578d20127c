using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Gateway.Tests.Feedback;

/// <summary>Feedback becomes per-client averages computed from the gateway's own record of each decision, within a bounded store.</summary>
public sealed class ClientProfileStoreTests
{
    private static readonly PlanRequest Request = new(Sequences: 2, PaddedLength: 64, Tokens: 100);

    private static ClientProfileStore Store(int maxClients = 100, double weight = 0.5) =>
        new(Options.Create(new FeedbackOptions { MaxClients = maxClients, EwmaWeight = weight, MinDownloadBytesForDownlink = 1_000_000 }), new ManualTime());

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
