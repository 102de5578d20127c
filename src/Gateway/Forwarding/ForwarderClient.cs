using System.Diagnostics;
using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>The one HTTP client YARP forwards through: pooled connections, no proxy/redirects/cookies, W3C trace context propagated.</summary>
public sealed class ForwarderClient : IDisposable
{
    public HttpMessageInvoker Invoker { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
    });

    public void Dispose() => Invoker.Dispose();
}
