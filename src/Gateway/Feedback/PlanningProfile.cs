using System.Globalization;
using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// The client figures the planner uses: what the client measured and reported in its headers, with what its own feedback
/// has shown in preference (edge GFLOP/s and downlink, each once it has a sample), and cloud-only for a while after its edge
/// fell back. A profile older than its time to live is set aside (see <see cref="FeedbackOptions.ProfileTtlSeconds"/>).
/// Only ever applied to the same client's requests.
/// </summary>
public static class PlanningProfile
{
    public static ClientProfile Resolve(ClientProfile reported, MeasuredClientProfile? measured, DateTimeOffset now, TimeSpan fallbackCooldown, TimeSpan profileTtl)
    {
        ArgumentNullException.ThrowIfNull(reported);
        if (measured is null || measured.Samples == 0 || now - measured.UpdatedAt > profileTtl) return reported;
        var recentFallback = measured.LastFallbackAt is { } at && now - at < fallbackCooldown;
        if (measured.EdgeGflops is null && measured.DownlinkMbps is null) return reported with { EdgeFellBackRecently = recentFallback };
        return reported with
        {
            Gflops = measured.EdgeGflops ?? reported.Gflops,
            DownlinkMbps = measured.DownlinkMbps ?? reported.DownlinkMbps,
            EdgeFellBackRecently = recentFallback,
            Source = string.Create(CultureInfo.InvariantCulture,
                $"measured ({measured.Samples} feedback samples: edge {(measured.EdgeGflops is { } g ? $"{g:0.###} GFLOP/s" : "reported")}, downlink {(measured.DownlinkMbps is { } d ? $"{d:0.#} Mbit/s" : "reported")})"),
        };
    }
}
