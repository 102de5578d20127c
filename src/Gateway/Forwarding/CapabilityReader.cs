using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>What the capability headers of one request mean to the planner, plus the warnings to send back.</summary>
internal sealed record ClientCapabilityProfile(ClientProfile? Client, Planning.SplitPreference Preference, int ForcedK, IReadOnlyList<string> Warnings);

/// <summary>Turns a request's capability headers into planner input. Never throws: bad values become warnings.</summary>
internal static class CapabilityReader
{
    public static ClientCapabilityProfile Read(HttpRequest request)
    {
        var result = CapabilityHeaderParser.Parse(name => request.Headers.TryGetValue(name, out var values) ? values.ToString() : null);
        var caps = result.Capabilities;
        var preference = caps?.Split.Mode switch
        {
            SplitMode.None => Planning.SplitPreference.None,
            SplitMode.Force => Planning.SplitPreference.Forced,
            _ => Planning.SplitPreference.Auto,
        };
        ClientProfile? client = null;
        if (caps is { CanPlan: true })
        {
            client = new ClientProfile(
                caps.Perf!.Gflops!.Value,
                (caps.Perf.UploadGbps ?? 8.0) / 8,  // the header is Gbit/s, the planner works in GB/s; unknown: assume 1 GB/s
                caps.Network!.DownlinkMbps!.Value,
                caps.Network.RttMs!.Value,
                caps.HeldShards.ToHashSet(StringComparer.Ordinal));
        }
        return new ClientCapabilityProfile(client, preference, caps?.Split.K ?? -1, result.Warnings);
    }
}
