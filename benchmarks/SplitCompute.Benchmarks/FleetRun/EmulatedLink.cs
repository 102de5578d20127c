namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>
/// A client's network on loopback: half the round trip before each request, and after the answer's headers the body is read and
/// held for its size over the downlink plus the other half of the round trip. Shard downloads and hidden-state frames alike pay
/// the client's link, as they would over a real one.
/// </summary>
internal sealed class EmulatedLink(double rttMs, double downlinkMbps) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(rttMs / 2), cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        var bytes = response.Content.Headers.ContentLength ?? 0;
        var transferMs = bytes * 8.0 / (downlinkMbps * 1_000.0);
        await Task.Delay(TimeSpan.FromMilliseconds((rttMs / 2) + transferMs), cancellationToken).ConfigureAwait(false);
        return response;
    }
}
