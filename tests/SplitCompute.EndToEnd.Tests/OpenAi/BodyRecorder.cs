namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>Records the bodies a client sends, to show what its default settings put on the wire.</summary>
internal sealed class BodyRecorder() : DelegatingHandler(new HttpClientHandler())
{
    public List<string> Bodies { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not null)
        {
            // Buffer so the body can still be sent after reading it.
            await request.Content.LoadIntoBufferAsync(cancellationToken);
            var body = await request.Content.ReadAsStringAsync(cancellationToken);
            lock (Bodies) Bodies.Add(body);
        }
        return await base.SendAsync(request, cancellationToken);
    }
}
