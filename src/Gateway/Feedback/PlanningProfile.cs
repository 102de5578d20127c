using System.Globalization;
using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// The client figures the planner uses: what the client reported in its headers, with what its own feedback has shown in
/// preference (the fitted edge model, downlink and round trip, each once measured), its request count, and cloud-only for a
/// while after its edge fell back. A profile older than its time to live is set aside (see
/// <see cref="FeedbackOptions.ProfileTtlSeconds"/>). Only ever applied to the same client's requests.
/// </summary>
public static class PlanningProfile
{
    public static ClientProfile Resolve(ClientProfile reported, MeasuredClientProfile? measured, DateTimeOffset now, TimeSpan fallbackCooldown, TimeSpan profileTtl)
    {
        ArgumentNullException.ThrowIfNull(reported);
        if (measured is null) return reported;
        var seen = reported with { RequestsSeen = measured.Requests };
        if (measured.Samples == 0 || now - measured.UpdatedAt > profileTtl) return seen;
        var recentFallback = measured.LastFallbackAt is { } at && now - at < fallbackCooldown;
        if (measured.Compute is null && measured.Load is null && measured.DownlinkMbps is null && measured.OverheadMs is null)
            return seen with { EdgeFellBackRecently = recentFallback };
        // Once the client has split at all it is no longer new: its own overhead replaces the new-client guess.
        var prior = reported.Edge with { OverheadMs = measured.OverheadMs ?? reported.Edge.OverheadMs };
        var model = measured.EdgeModel(prior);
        return seen with
        {
            Edge = model,
            EdgeMeasured = measured.Compute is not null,
            Gflops = measured.EdgeGflops ?? reported.Gflops,
            DownlinkMbps = measured.DownlinkMbps ?? reported.DownlinkMbps,
            RttMs = measured.RttMs ?? reported.RttMs,
            EdgeFellBackRecently = recentFallback,
            Source = string.Create(CultureInfo.InvariantCulture,
                $"measured ({measured.Samples} feedback samples: edge {(measured.Compute is { } c ? $"{c.A:0.#} ms + {c.B:0.###} ms/GFLOP" : "reported")}, " +
                $"load {(measured.Load is { } l ? $"{l.B:0.###} ms/MB" : "reported")}, overhead {model.OverheadMs:0.#} ms, " +
                $"downlink {(measured.DownlinkMbps is { } d ? $"{d:0.#} Mbit/s" : "reported")}, rtt {(measured.RttMs is { } r ? $"{r:0.#} ms" : "reported")})"),
        };
    }
}
