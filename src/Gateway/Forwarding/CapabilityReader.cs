using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>What the capability headers of one request mean to the planner, plus the warnings to send back.</summary>
internal sealed record ClientCapabilityProfile(ClientProfile? Client, SplitPreference Preference, IReadOnlyList<string> Warnings)
{
    public const string IgnoredWarning = "capability headers ignored: the request does not accept " + SplitCompute.Protocol.MediaTypes.HiddenState;

    /// <summary>A JSON-only client: it cannot run a tail, so its capability headers are not parsed at all (saves ~8 us a request).</summary>
    public static ClientCapabilityProfile None { get; } = new(null, SplitPreference.None, []);

    /// <summary>A JSON-only client that sent capability headers anyway: say they were not used.</summary>
    public static ClientCapabilityProfile Ignored { get; } = new(null, SplitPreference.None, [IgnoredWarning]);
}

/// <summary>Turns a request's capability headers into planner input. Never throws: bad values become warnings.</summary>
internal static class CapabilityReader
{
    private static readonly IReadOnlySet<string> EmptyShards = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Capability headers matter only to a client that accepts the hidden-state frame; for any other the answer is cloud-only
    /// whatever they say, so they are not parsed (only noticed, to warn that they were ignored).
    /// </summary>
    public static ClientCapabilityProfile Read(HttpRequest request, bool acceptsFrame)
    {
        if (acceptsFrame) return Read(request);
        return request.Headers.ContainsKey(Protocol.HeaderNames.Version) ? ClientCapabilityProfile.Ignored : ClientCapabilityProfile.None;
    }

    public static ClientCapabilityProfile Read(HttpRequest request) =>
        Read(name => request.Headers.TryGetValue(name, out var values) ? values.ToString() : null);

    /// <summary>Parses the capability headers that <paramref name="header"/> returns by name (null when absent).</summary>
    public static ClientCapabilityProfile Read(Func<string, string?> header)
    {
        var result = CapabilityHeaderParser.Parse(header);
        var caps = result.Capabilities;
        ClientProfile? client = null;
        if (caps is { CanPlan: true })
        {
            client = new ClientProfile(
                caps.Perf!.Gflops!.Value,
                (caps.Perf.UploadGbps ?? 8.0) / 8,  // the header is Gbit/s, the planner works in GB/s; unknown: assume 1 GB/s
                caps.Network!.DownlinkMbps!.Value,
                caps.Network.RttMs!.Value,
                caps.HeldShards.ToHashSet(StringComparer.Ordinal))
            {
                ResidentShards = caps.ResidentShards.Count == 0 ? EmptyShards : caps.ResidentShards.ToHashSet(StringComparer.Ordinal),
                Energy = caps.Power is { } power ? new ClientEnergy(power.OnBattery, power.SaveEnergy) : null,
            };
        }
        return new ClientCapabilityProfile(client, caps?.Split ?? SplitPreference.Auto, result.Warnings);
    }
}
