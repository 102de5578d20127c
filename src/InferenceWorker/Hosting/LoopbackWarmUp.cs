using SplitCompute.Protocol.Cluster;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SplitCompute.InferenceWorker.Endpoints;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Protocol;

namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>
/// The last step of warming up, once Kestrel listens: a split (frame) and a cloud-only (JSON) request to this worker over
/// loopback HTTP, so Kestrel's request path, routing and the endpoint's response writing have run once before the first real
/// request (the in-process <see cref="WorkerWarmUp"/> cannot reach them). Then the worker is ready. A failure is logged and
/// the worker becomes ready anyway: warming up must never keep a worker from serving.
/// </summary>
internal sealed partial class LoopbackWarmUp(
    IServer server, ModelHost model, HeadExecutor executor, WorkerReadiness readiness, IHostApplicationLifetime lifetime, ILogger<LoopbackWarmUp> logger, ClusterSecret cluster)
    : BackgroundService
{

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
            var address = Loopback(server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault());
            if (address is null)
            {
                LogSkipped(logger, "no address to reach");
                return;
            }
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;  // our own certificate, over loopback
            using var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
            if (cluster.Enabled) http.DefaultRequestHeaders.TryAddWithoutValidation(ClusterSecret.Header, cluster.RequestToken);
            var n = model.Shape.Layers;
            // Once each: repeating them (40 rounds, to push every method through tiering) tripled the time to ready and did
            // not bring the first request closer to steady state; nor did turning dynamic PGO off (benchmarks/results/cold-start.txt).
            await SendAsync(http, n / 2, stoppingToken).ConfigureAwait(false);
            await SendAsync(http, n, stoppingToken).ConfigureAwait(false);
            // Those passes fed the EWMAs with first-request timings of tiny inputs: measure the steady speed again.
            executor.Calibrate();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !stoppingToken.IsCancellationRequested)
        {
            LogSkipped(logger, ex.Message);
        }
        finally
        {
            readiness.MarkReady();
        }
    }

    private async Task SendAsync(HttpClient http, int k, CancellationToken cancellationToken)
    {
        var body = model.Tokenizer is null ? "{\"input\": [[1, 2, 3, 4]]}" : "{\"input\": \"Warm-up.\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(HeaderNames.SplitK, k.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(HeaderNames.WarmUp, "1");
        if (k < model.Shape.Layers) request.Headers.Accept.ParseAdd(MediaTypes.HiddenState);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        _ = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) LogSkipped(logger, $"k = {k} answered {(int)response.StatusCode}");
    }

    /// <summary>The bound address as this host reaches it: a wildcard host becomes the loopback of its family.</summary>
    internal static Uri? Loopback(string? bound)
    {
        if (string.IsNullOrEmpty(bound)) return null;
        var text = bound.Replace("://+:", "://127.0.0.1:", StringComparison.Ordinal).Replace("://*:", "://127.0.0.1:", StringComparison.Ordinal)
            .Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal).Replace("://[::]:", "://[::1]:", StringComparison.Ordinal);
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : null;
    }

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "loopback warm-up skipped ({Reason}); ready without it, the first request may be slower")]
    private static partial void LogSkipped(ILogger logger, string reason);
}
