namespace SplitCompute.EndToEnd.Tests;

/// <summary>An edge client's HTTP handler whose shard downloads all fail (as when the shard source is unreachable); the rest passes.</summary>
internal sealed class ShardOutageHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.RequestUri!.AbsolutePath.StartsWith("/v1/shards/", StringComparison.Ordinal)
            ? throw new HttpRequestException("test: the shard source is down")
            : base.SendAsync(request, cancellationToken);
}
