using System.Diagnostics;
using System.Net;
using SplitCompute.Protocol.Cluster;
using Yarp.ReverseProxy.Forwarder;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// The one HTTP client the gateway reaches workers through (YARP's forwarding, shard requests, warm-up): pooled connections,
/// no proxy/redirects/cookies, W3C trace context propagated, and the cluster token on every request (<see cref="ClusterSecret"/>).
/// </summary>
public sealed class ForwarderClient(ClusterSecret cluster) : IDisposable
{
    public HttpMessageInvoker Invoker { get; } = new(WithClusterToken(cluster, new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
    }));

    public void Dispose() => Invoker.Dispose();

    private static HttpMessageHandler WithClusterToken(ClusterSecret cluster, SocketsHttpHandler handler) =>
        cluster.Enabled ? new ClusterTokenHandler(cluster.RequestToken) { InnerHandler = handler } : handler;

    private sealed class ClusterTokenHandler(string token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove(ClusterSecret.Header);  // never a client's: the forwarded request copied its headers
            request.Headers.TryAddWithoutValidation(ClusterSecret.Header, token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
