using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using SplitCompute.InferenceWorker.Endpoints;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Model.Forward;
using SplitCompute.Protocol;

namespace SplitCompute.InferenceWorker.Hosting;

/// <summary>
/// Makes the first real request cost what a steady one does. It runs in <see cref="WorkerApp.Build"/>, before Kestrel listens,
/// so /alive (the deployments' health check), /health and the first heartbeat all come after it. What a first request paid:
/// JIT of the endpoint, request parser, tokenizer, batcher and frame/JSON writers, the tokenizer's first encode, and per shape
/// the backend's first pass (CUDA: workspace, product tuning and graph capture). So: one encode; one pass through the batcher
/// per common shape (B = 1 at a few T, k = N, and one split); then the endpoint itself in process, a split (frame) and a
/// cloud-only (JSON) request, on a <see cref="DefaultHttpContext"/>, not counted in the worker's metrics.
/// Calibration runs after it (so the EWMAs come from warm passes), and <see cref="LoopbackWarmUp"/> finishes the job over HTTP
/// once Kestrel listens, before the worker is ready.
/// </summary>
internal static partial class WorkerWarmUp
{
    private const string Marker = "splitcompute.warm-up";

    /// <summary>Tokens of the warm-up passes (B = 1); on CUDA T buckets 16, 32, 128.</summary>
    private static readonly int[] Lengths = [8, 32, 128];

    /// <summary>True for the warm-up's own requests, in process or over loopback (the endpoint leaves them out of its metrics).</summary>
    public static bool IsWarmUp(HttpContext context) =>
        context.Items.ContainsKey(Marker)
        || (context.Request.Headers.ContainsKey(HeaderNames.WarmUp) && context.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote));

    public static void Run(IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WorkerWarmUp).FullName!);
        var model = services.GetRequiredService<ModelHost>();
        var executor = services.GetRequiredService<HeadExecutor>();
        var clock = Stopwatch.StartNew();
        var text = "SplitCompute warms up: tokenizer, passes, endpoint.";
        _ = model.Tokenizer?.Encode(text);
        var n = model.Shape.Layers;
        foreach (var t in Lengths.Where(t => t <= model.MaxTokens).DefaultIfEmpty(model.MaxTokens))
        {
            var batch = TokenBatch.FromSequences([[.. Enumerable.Range(0, t).Select(i => (i * 7919) % model.Shape.VocabSize)]]);
            executor.RunAsync(batch, n, Pooling.Mean, CancellationToken.None).GetAwaiter().GetResult();
        }
        executor.RunAsync(TokenBatch.FromSequences([[1, 2, 3]]), n / 2, Pooling.Mean, CancellationToken.None).GetAwaiter().GetResult();
        using (var scope = services.CreateScope())
        {
            var body = model.Tokenizer is null ? "{\"input\": [[1, 2, 3, 4]]}" : $"{{\"input\": \"{text}\"}}";
            Request(scope.ServiceProvider, model, executor, body, n / 2, logger);
            Request(scope.ServiceProvider, model, executor, body, n, logger);
        }
        LogWarm(logger, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>POST /v1/embeddings through the endpoint and the result's execution, in process, as the gateway sends it.</summary>
    private static void Request(IServiceProvider services, ModelHost model, HeadExecutor executor, string json, int k, ILogger logger)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Items[Marker] = true;
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = "/v1/embeddings";
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        context.Request.Headers[HeaderNames.SplitK] = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (k < model.Shape.Layers) context.Request.Headers.Accept = MediaTypes.HiddenState;
        context.Response.Body = new MemoryStream();
        var options = services.GetRequiredService<IOptions<WorkerOptions>>();
        var result = EmbeddingsEndpoint.HandleAsync(context, model, executor, options, CancellationToken.None).GetAwaiter().GetResult();
        result.ExecuteAsync(context).GetAwaiter().GetResult();
        if (context.Response.StatusCode != StatusCodes.Status200OK) LogWarmRequestFailed(logger, k, context.Response.StatusCode);
    }

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "warmed up in {Ms:F0} ms (tokenizer, a pass per shape, the endpoint)")]
    private static partial void LogWarm(ILogger logger, double ms);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "warm-up request with k = {K} answered {Status}; the first real request may be slower")]
    private static partial void LogWarmRequestFailed(ILogger logger, int k, int status);
}
