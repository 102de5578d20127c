using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Forwarding;
using SplitCompute.Gateway.Planning;
using SplitCompute.Gateway.Workers;
using SplitCompute.Tokenization;

namespace SplitCompute.Gateway.Hosting;

/// <summary>
/// Keeps the first request from paying for start-up (issue 18, cold start): before /health says ready it runs the hot path once
/// (tokenizer, capability parse, planner), and it opens the pooled connection to every worker as soon as the worker appears in
/// the registry (a GET of its /health through the same invoker YARP forwards with), so no request pays a TCP handshake or the
/// first-use cost of the handler.
/// </summary>
public sealed partial class GatewayWarmup(
    WorkerRegistry registry, ForwarderClient client, Gpt2Tokenizer tokenizer, SplitPlanner planner, ILogger<GatewayWarmup> logger) : BackgroundService
{
    private const int MaxRemembered = 4_096;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private readonly HashSet<string> _warmed = new(StringComparer.Ordinal);
    private volatile bool _hotPathReady;

    /// <summary>The request path has run once; until then /health answers 503.</summary>
    public bool HotPathReady => _hotPathReady;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            RunHotPathOnce();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogWarmupFailed(logger, ex);  // a warm-up is an optimisation: serving cold beats not serving
        }
        _hotPathReady = true;
        using var timer = new PeriodicTimer(Interval);
        do
        {
            foreach (var worker in registry.Current.Workers)
            {
                if (_warmed.Contains(worker.Address)) continue;
                if (_warmed.Count >= MaxRemembered) _warmed.Clear();
                if (await ConnectAsync(worker.Address, stoppingToken).ConfigureAwait(false)) _warmed.Add(worker.Address);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private void RunHotPathOnce()
    {
        var lengths = new[] { "SplitCompute warms its tokenizer, header parser and planner before it says it is ready." }.Select(t => tokenizer.Encode(t).Length).ToArray();
        CapabilityReader.Read(name => name switch
        {
            Protocol.HeaderNames.Version => "1",
            Protocol.HeaderNames.Adapter => "vendor=\"warmup\"; backend=\"vulkan\"",
            Protocol.HeaderNames.Perf => "gflops=100, upload-gbps=8",
            Protocol.HeaderNames.Network => "downlink-mbps=100, rtt-ms=10",
            Protocol.HeaderNames.Shards => "0123456789abcdef",
            _ => null,
        });
        var model = new ModelProfile("warmup", "warmup", 2, 8, ["0123456789abcdef0123", "1123456789abcdef0123"], [1_000, 1_000], "fedcba9876543210fedc", 10);
        var worker = new WorkerLoad("warmup", "http://127.0.0.1:1", "cpu", 1, 0.01, 0.001, 0, 0, 1);
        var client = new ClientProfile(100, 1, 100, 10, new HashSet<string>(StringComparer.Ordinal));
        planner.Plan(model, worker, client, new PlanRequest(1, lengths[0], lengths[0]));
    }

    private async Task<bool> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, WorkerUris.For(address, "/health"));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await client.Invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogNotWarmed(logger, address, ex.Message);
            return false;  // tried again next tick; the first request will connect itself if need be
        }
    }

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "the gateway's warm-up failed; it serves anyway, its first requests cold")]
    private static partial void LogWarmupFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "connection to worker {Address} not opened ahead of requests: {Reason}")]
    private static partial void LogNotWarmed(ILogger logger, string address, string reason);
}
