using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Feedback;
using SplitCompute.Gateway.Caching;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// Measured profiles of edge clients, by client id (X-SplitCompute-Client), bounded (least recently used dropped). Each accepted
/// feedback refits its client's edge model (docs/split-planner.md, "A client model that learns"); nothing here is ever read for
/// another client's plan.
/// </summary>
public sealed class ClientProfileStore(IOptions<FeedbackOptions> options, TimeProvider time)
{
    private const double ComputeFixedVarianceMs2 = 50.0 * 50.0;   // prior spread of the fixed compute term: tens of ms
    private const double LoadFixedVarianceMs2 = 20.0 * 20.0;
    private const double PriorSpread = 4;  // reported speeds are often several-fold off: let the first samples move the slopes that far
    private readonly FeedbackOptions _options = options.Value;
    private readonly BoundedLru<string, MeasuredClientProfile> _profiles = new(options.Value.MaxClients);

    public int Count => _profiles.Count;

    public MeasuredClientProfile? Find(string clientId) => _profiles.TryGet(clientId, out var profile) ? profile : null;

    /// <summary>Counts one request of <paramref name="clientId"/> and returns its profile as it was before.</summary>
    public MeasuredClientProfile? Seen(string clientId)
    {
        MeasuredClientProfile? before = null;
        _profiles.AddOrUpdate(clientId, (old, found) =>
        {
            before = found ? old : null;
            return (found ? old! : MeasuredClientProfile.Empty(time.GetUtcNow()) with { UpdatedAt = DateTimeOffset.MinValue }) with { Requests = (found ? old!.Requests : 0) + 1 };
        });
        return before;
    }

    /// <summary>Folds one feedback, read against the gateway's own record of the decision, into its client's profile.</summary>
    public MeasuredClientProfile Record(IssuedDecision decision, EdgeFeedback feedback)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(feedback);
        var now = time.GetUtcNow();
        return _profiles.AddOrUpdate(decision.ClientId, (old, found) => Fold(found ? old! : MeasuredClientProfile.Empty(now), decision, feedback, now));
    }

    private MeasuredClientProfile Fold(MeasuredClientProfile profile, IssuedDecision decision, EdgeFeedback feedback, DateTimeOffset now)
    {
        if (feedback.FellBack)
            return profile with { Samples = profile.Samples + 1, Fallbacks = profile.Fallbacks + 1, LastFallbackAt = now, UpdatedAt = now };

        var prior = decision.Edge;
        var layers = decision.N - decision.K;
        var gflop = layers * LayerCost.Flops(decision.Channels, decision.Request) / 1e9;
        var (gflops, msPerLayer, compute, load) = (profile.EdgeGflops, profile.EdgeMsPerLayer, profile.Compute, profile.Load);
        // An old client says only that weights were loaded, not how long that took: its edge_ms then times loading, not compute.
        var loadUnknown = feedback.WeightsLoaded && feedback.LoadMs <= 0;
        var computeMs = feedback.EdgeMs - Math.Min(feedback.LoadMs, feedback.EdgeMs);
        if (computeMs > 0 && !loadUnknown)
        {
            compute = (compute ?? OnlineLineFit.Prior(prior.ComputeFixedMs, prior.ComputeMsPerGflop, ComputeFixedVarianceMs2, Square(PriorSpread * prior.ComputeMsPerGflop)))
                .Update(gflop, computeMs, _options.Forgetting);
            gflops = Average(gflops, gflop / computeMs * 1_000, ProfileBounds.MaxGflops);
            msPerLayer = Average(msPerLayer, computeMs / layers, ProfileBounds.MaxMs);
        }
        if (feedback.LoadedBytes > 0 && feedback.LoadMs > 0)
        {
            load = (load ?? OnlineLineFit.Prior(prior.LoadFixedMs, prior.LoadMsPerMb, LoadFixedVarianceMs2, Square(PriorSpread * prior.LoadMsPerMb)))
                .Update(feedback.LoadedBytes / 1e6, feedback.LoadMs, _options.Forgetting);
        }
        var downlink = profile.DownlinkMbps;
        if (feedback.DownloadedBytes >= _options.MinDownloadBytesForDownlink && feedback.DownloadMs > 0)
            downlink = Average(downlink, feedback.DownloadedBytes * 8.0 / (feedback.DownloadMs * 1000.0), ProfileBounds.MaxMbps);  // bytes per ms -> Mbit/s
        // What the client spent beyond the stages it timed: parsing, checking cached shards, a new process's own start-up.
        var overhead = Average(profile.OverheadMs, Math.Max(0, feedback.TotalMs - feedback.RequestMs - feedback.DownloadMs - feedback.EdgeMs), ProfileBounds.MaxMs);
        var rtt = profile.RttMs;
        if (decision.WorkerTotalMs is { } workerMs && (downlink ?? decision.PlannedDownlinkMbps) is > 0 and var mbps)
        {
            // The request's time beyond the worker's own is gateway + network: round trip plus the hidden state on the downlink.
            var hiddenBytes = (double)decision.Request.Rows * decision.Channels * 4;
            rtt = Average(rtt, Math.Max(0, feedback.RequestMs - workerMs - (hiddenBytes / (mbps * 125.0))), ProfileBounds.MaxMs);
        }
        return profile with
        {
            Samples = profile.Samples + 1, EdgeGflops = gflops, EdgeMsPerLayer = msPerLayer, DownlinkMbps = downlink, UpdatedAt = now,
            Compute = compute, Load = load, OverheadMs = overhead, RttMs = rtt,
        };
    }

    private static double Square(double x) => x * x;

    /// <summary>
    /// An exponentially weighted average; a sample outside [0, <paramref name="max"/>] (infinite, NaN, or an absurd ratio such as
    /// 1 TiB downloaded in 1 us) is ignored, so the average stays within the same range.
    /// </summary>
    private double? Average(double? previous, double sample, double max) =>
        !ProfileBounds.Sane(sample, max) ? previous : previous is { } p ? p + (_options.EwmaWeight * (sample - p)) : sample;
}
