using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Gateway.Tests.Feedback;

/// <summary>The planner sees a client's measured figures in place of its reported ones, and plans it accordingly.</summary>
public sealed class PlanningProfileTests
{
    private static readonly ModelProfile Model = new("gpt2", "rev1", 12, 768,
        [.. Enumerable.Range(0, 12).Select(l => new string((char)('a' + l), 64))], [.. Enumerable.Repeat(28_000_000L, 12)],
        new string('z', 64), 6_144);

    private static readonly PlanRequest Request = new(Sequences: 1, PaddedLength: 128, Tokens: 128);
    private static readonly WorkerLoad Worker = new("w1", "http://127.0.0.1:1", "cpu", 0, 0.01, 0.001, 0, 0, 1) { Utilisation = 0.5 };
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    private static readonly ClientProfile Reported =
        new(2_000, 10, 1_000, 2, Model.LayerShardHashes.Append(Model.FinalNormHash!).ToHashSet())
        {
            ResidentShards = Model.LayerShardHashes.Append(Model.FinalNormHash!).ToHashSet(),
            Edge = EdgeCostModel.FromReported(2_000, 10, 0),
        };

    /// <summary>Three samples; a fitted compute model of <paramref name="gflops"/> (no fixed term) when given.</summary>
    private static MeasuredClientProfile Measured(double? gflops = null, double? mbps = null, DateTimeOffset? fallbackAt = null) =>
        new(3, gflops, gflops is null ? null : 1, mbps, fallbackAt is null ? 0 : 1, fallbackAt, Now)
        {
            Compute = gflops is { } g ? OnlineLineFit.Prior(0, 1_000 / g, 1, 1) : null,
        };

    private static SplitPlanner Planner() => new(Options.Create(new PlannerOptions()));

    [Fact]
    public void Without_feedback_the_reported_figures_stand()
    {
        Assert.Same(Reported, PlanningProfile.Resolve(Reported, null, Now, Cooldown, Ttl));
        Assert.Equal("reported", PlanningProfile.Resolve(Reported, MeasuredClientProfile.Empty(Now), Now, Cooldown, Ttl).Source);
        Assert.Equal(7, PlanningProfile.Resolve(Reported, MeasuredClientProfile.Empty(Now) with { Requests = 7 }, Now, Cooldown, Ttl).RequestsSeen);
    }

    [Fact]
    public void Measured_figures_replace_the_reported_ones_each_once_it_has_a_sample()
    {
        var onlyEdge = PlanningProfile.Resolve(Reported, Measured(gflops: 5), Now, Cooldown, Ttl);
        Assert.Equal(5, onlyEdge.Gflops);
        Assert.Equal(200, onlyEdge.Edge.ComputeMsPerGflop, 9);
        Assert.Equal(Reported.Edge.LoadMsPerMb, onlyEdge.Edge.LoadMsPerMb);
        Assert.Equal(Reported.DownlinkMbps, onlyEdge.DownlinkMbps);
        Assert.StartsWith("measured (3 feedback samples", onlyEdge.Source, StringComparison.Ordinal);

        var both = PlanningProfile.Resolve(Reported, Measured(gflops: 5, mbps: 40), Now, Cooldown, Ttl);
        Assert.Equal(40, both.DownlinkMbps);
        Assert.Equal(Reported.HeldShards, both.HeldShards);  // what it holds is still what it says it holds
    }

    [Fact]
    public void A_measured_slow_edge_gets_fewer_layers_than_the_same_client_reported()
    {
        var planner = Planner();
        var byHeaders = planner.Plan(Model, Worker, Reported, Request);
        var byFeedback = planner.Plan(Model, Worker, PlanningProfile.Resolve(Reported, Measured(gflops: 2), Now, Cooldown, Ttl), Request);

        Assert.True(byHeaders.K < byFeedback.K, $"reported k = {byHeaders.K}, measured k = {byFeedback.K}");
        Assert.Contains("measured", byFeedback.Reason, StringComparison.Ordinal);
        Assert.Contains("reported", byHeaders.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recent_fallback_means_cloud_only_until_the_cooldown_passes_but_a_forced_split_stays_forced()
    {
        var planner = Planner();
        var recent = PlanningProfile.Resolve(Reported, Measured(fallbackAt: Now.AddSeconds(-10)), Now, Cooldown, Ttl);
        var plan = planner.Plan(Model, Worker, recent, Request);
        Assert.True(plan.IsCloudOnly);
        Assert.Contains("fell back", plan.Reason, StringComparison.Ordinal);
        Assert.Equal(3, planner.Plan(Model, Worker, recent, Request, SplitPreference.Force(3)).K);

        var old = PlanningProfile.Resolve(Reported, Measured(fallbackAt: Now.AddSeconds(-31)), Now, Cooldown, Ttl);
        Assert.False(planner.Plan(Model, Worker, old, Request).IsCloudOnly);
    }

    [Fact]
    public void A_profile_without_fresh_feedback_expires_so_a_client_kept_in_the_cloud_gets_another_chance()
    {
        var stale = Measured(gflops: 2) with { UpdatedAt = Now - Ttl - TimeSpan.FromSeconds(1) };
        Assert.Equal("reported", PlanningProfile.Resolve(Reported, stale, Now, Cooldown, Ttl).Source);
        Assert.Equal(2, PlanningProfile.Resolve(Reported, stale with { UpdatedAt = Now - Ttl }, Now, Cooldown, Ttl).Gflops);
    }
}
