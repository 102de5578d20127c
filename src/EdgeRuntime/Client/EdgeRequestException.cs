using System.Net;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>The gateway refused or failed a request; carries its status and the problem detail it sent.</summary>
public sealed class EdgeRequestException(HttpStatusCode status, string detail)
    : Exception($"gateway answered {(int)status} {status}: {detail}")
{
    public HttpStatusCode Status { get; } = status;
}
