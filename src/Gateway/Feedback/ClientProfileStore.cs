using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// Measured profiles of edge clients, by client id (X-SplitCompute-Client), bounded (least recently used dropped). Each
/// accepted feedback updates its client's averages; nothing here is ever read for another client's plan.
/// </summary>
public sealed class ClientProfileStore(IOptions<FeedbackOptions> options, TimeProvider time)
{
    private readonly FeedbackOptions _options = options.Value;
    private readonly BoundedLru<string, MeasuredClientProfile> _profiles = new(options.Value.MaxClients);

    public int Count => _profiles.Count;

    public MeasuredClientProfile? Find(string clientId) => _profiles.TryGet(clientId, out var profile) ? profile : null;

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

        var gflops = profile.EdgeGflops;
        var msPerLayer = profile.EdgeMsPerLayer;
        // A run that loaded the tail's weights timed the loading (disk, GPU upload), not the layers: it says nothing of speed.
        if (feedback.EdgeMs > 0 && !feedback.WeightsLoaded)
        {
            var layers = decision.N - decision.K;
            var flops = layers * LayerCost.Flops(decision.Channels, decision.Request);
            gflops = Average(gflops, flops / (feedback.EdgeMs * 1e6));
            msPerLayer = Average(msPerLayer, feedback.EdgeMs / layers);
        }
        var downlink = profile.DownlinkMbps;
        if (feedback.DownloadedBytes >= _options.MinDownloadBytesForDownlink && feedback.DownloadMs > 0)
            downlink = Average(downlink, feedback.DownloadedBytes * 8.0 / (feedback.DownloadMs * 1000.0));  // bytes per ms -> Mbit/s
        return profile with { Samples = profile.Samples + 1, EdgeGflops = gflops, EdgeMsPerLayer = msPerLayer, DownlinkMbps = downlink, UpdatedAt = now };
    }

    private double Average(double? previous, double sample) =>
        previous is { } p ? p + (_options.EwmaWeight * (sample - p)) : sample;
}
