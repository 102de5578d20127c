using System.Diagnostics.Metrics;
using SplitCompute.Telemetry;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Refused requests on the gateway's meter (<see cref="TelemetryNames.Gateway"/>), so a credential-stuffing run or a client
/// stuck on its limits shows on the dashboards. Tags are low-cardinality: the reason, never the key or its id.
/// </summary>
public sealed class AccessTelemetry
{
    public const string RefusalsName = "splitcompute.gateway.access_refusals";

    private readonly Counter<long> _refusals;

    public AccessTelemetry(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _refusals = meters.Create(TelemetryNames.Gateway)
            .CreateCounter<long>(RefusalsName, "{request}", "Requests refused by API key checks and limits, by reason (missing, invalid, unknown, revoked, unverifiable, rate, concurrency, tokens_per_minute, tokens_in_flight)");
    }

    public void Refused(string reason) => _refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
