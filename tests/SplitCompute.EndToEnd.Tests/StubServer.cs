using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// A tiny real Kestrel server on a free loopback port that answers every request with <paramref name="handler"/>: a worker that
/// aborts or hangs, or a gateway that sends a broken frame. Records the path of every request it received.
/// </summary>
internal sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _paths = new();

    private StubServer(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(context =>
        {
            _paths.Enqueue(context.Request.Path.Value ?? "");
            return handler(context);
        });
    }

    public int Requests => _paths.Count;

    /// <summary>Requests whose path starts with <paramref name="prefix"/>.</summary>
    public int Count(string prefix) => _paths.Count(p => p.StartsWith(prefix, StringComparison.Ordinal));

    public Uri Uri => new(SplitCluster.Address(_app));

    public static async Task<StubServer> StartAsync(RequestDelegate handler)
    {
        var stub = new StubServer(handler);
        await stub._app.StartAsync();
        return stub;
    }

    /// <summary>Accepts the request, then drops the connection without a response (a worker that dies mid-request).</summary>
    public static Task<StubServer> AbortingAsync() => StartAsync(context =>
    {
        context.Abort();
        return Task.CompletedTask;
    });

    /// <summary>Accepts the request and never answers (a worker stuck in a forward pass) until the caller gives up.</summary>
    public static Task<StubServer> HangingAsync() => StartAsync(async context =>
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    });

    /// <summary>An http:// address on loopback where nothing listens (connections are refused).</summary>
    public static string DeadAddress()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
