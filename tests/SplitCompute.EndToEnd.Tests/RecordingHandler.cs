using System.Collections.Concurrent;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// Wraps an edge client's HTTP handler: records every request path, and keeps the body of the last embeddings answer
/// (a real frame from the real gateway, to be cut up by the frame tests).
/// </summary>
internal sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    public ConcurrentQueue<string> Paths { get; } = new();

    /// <summary>Every request's path and headers (repeated lines joined with ",").</summary>
    public ConcurrentQueue<(string Path, Dictionary<string, string> Headers)> Requests { get; } = new();

    public byte[]? LastEmbeddingsBody { get; private set; }

    public int Count(string path) => Paths.Count(p => p == path);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Paths.Enqueue(request.RequestUri!.AbsolutePath);
        Requests.Enqueue((request.RequestUri.AbsolutePath, request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase)));
        var response = await base.SendAsync(request, cancellationToken);
        if (request.RequestUri.AbsolutePath != "/v1/embeddings") return response;
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        LastEmbeddingsBody = body;
        var copy = new ByteArrayContent(body);
        foreach (var (name, values) in response.Content.Headers) copy.Headers.TryAddWithoutValidation(name, values);
        response.Content = copy;
        return response;
    }
}
