using System.Net;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>The gateway refused or failed a request; carries its status, the problem detail it sent and its Retry-After.</summary>
public sealed class EdgeRequestException(HttpStatusCode status, string detail, TimeSpan? retryAfter = null)
    : Exception($"gateway answered {(int)status} {status}: {detail}")
{
    public HttpStatusCode Status { get; } = status;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>502, 503 and 504 say "not now" (a worker or the gateway itself is restarting): worth asking again.</summary>
    public bool IsTransient => Status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
}
