using Microsoft.AspNetCore.Server.Kestrel.Core;
using SplitCompute.Gateway.Hosting;

namespace SplitCompute.Gateway.Connections;

/// <summary>
/// How slowly a client may talk to the gateway (Kestrel's timeouts and minimum data rates, as nginx's client_header_timeout,
/// client_body_timeout and send_timeout): headers within a deadline, bodies and answers at a minimum rate after a grace period.
/// A client below them is disconnected, so a trickle cannot hold a connection, its buffers and a request slot for hours.
/// </summary>
internal sealed record TransferLimits(TimeSpan HeadersTimeout, int MinBodyBytesPerSecond, int MinResponseBytesPerSecond, TimeSpan Grace, TimeSpan BodyTimeout)
{
    public static TransferLimits From(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TransferLimits(TimeSpan.FromSeconds(options.HeadersTimeoutSeconds), options.MinBodyBytesPerSecond,
            options.MinResponseBytesPerSecond, TimeSpan.FromSeconds(options.DataRateGraceSeconds), TimeSpan.FromSeconds(options.BodyTimeoutSeconds));
    }

    public void ApplyTo(KestrelServerOptions kestrel)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        kestrel.Limits.RequestHeadersTimeout = HeadersTimeout;
        kestrel.Limits.MinRequestBodyDataRate = MinBodyBytesPerSecond > 0 ? new MinDataRate(MinBodyBytesPerSecond, Grace) : null;
        kestrel.Limits.MinResponseDataRate = MinResponseBytesPerSecond > 0 ? new MinDataRate(MinResponseBytesPerSecond, Grace) : null;
    }

    public override string ToString() =>
        $"headers within {HeadersTimeout.TotalSeconds:0} s, bodies within {BodyTimeout.TotalSeconds:0} s and at >= {MinBodyBytesPerSecond} B/s, " +
        $"answers read at >= {MinResponseBytesPerSecond} B/s (after {Grace.TotalSeconds:0} s)";
}
