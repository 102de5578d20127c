using Microsoft.AspNetCore.Server.Kestrel.Core;
using SplitCompute.Gateway.Hosting;

namespace SplitCompute.Gateway.Connections;

/// <summary>
/// The gateway's connection limits, fixed at start: a global cap below the descriptor limit (Kestrel's
/// MaxConcurrentConnections) and a per-address cap at the socket (<see cref="PerIpConnectionLimit"/>).
/// </summary>
internal sealed record ConnectionLimits(int MaxConnections, int MaxConnectionsPerIp, long? Descriptors)
{
    public PerIpConnectionLimit PerIp { get; } = new(MaxConnectionsPerIp);

    public static ConnectionLimits From(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var descriptors = DescriptorLimit.Current();
        return new ConnectionLimits(DescriptorLimit.ConnectionCap(options.MaxConnections, descriptors, options.DescriptorReserve), options.MaxConnectionsPerIp, descriptors);
    }

    public void ApplyTo(KestrelServerOptions kestrel)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        kestrel.Limits.MaxConcurrentConnections = MaxConnections;
        kestrel.Limits.MaxConcurrentUpgradedConnections = MaxConnections;
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(PerIp.Apply));
    }

    public override string ToString() =>
        $"at most {MaxConnections} connections ({(Descriptors is { } d ? $"descriptor limit {d}" : "descriptor limit unknown")}), {MaxConnectionsPerIp} per address";
}
