using System.Net.Http;
using System.Net.Sockets;
using Yarp.ReverseProxy.Forwarder;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// Whether a failed attempt may go to another worker: only when the request never reached the first one. A timed-out or
/// dropped request may be running there still; sending it elsewhere doubles its cost (and a request slow by its size would
/// time out on every worker in turn), so it is answered as failed instead.
/// </summary>
internal static class RetryPolicy
{
    public static ForwardOutcome Classify(ForwarderError error, Exception? exception)
    {
        if (error == ForwarderError.None) return ForwardOutcome.Answered;
        return error == ForwarderError.Request && NeverConnected(exception) ? ForwardOutcome.NotStarted : ForwardOutcome.Failed;
    }

    private static bool NeverConnected(Exception? exception) => exception switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError } => true,
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable } } => true,
        _ => false,
    };
}
