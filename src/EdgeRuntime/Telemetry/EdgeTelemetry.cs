using System.Diagnostics;
using System.Diagnostics.Metrics;
using SplitCompute.EdgeRuntime.Client;

namespace SplitCompute.EdgeRuntime.Telemetry;

/// <summary>
/// The edge runtime's instruments and spans (meter and source "SplitCompute.Edge"). A library has no DI container, so they are
/// static, as .NET's own libraries do; a host that wants them exported listens by name (the CLI does through
/// SplitCompute.Telemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set). The request span is current while the gateway is called,
/// so HttpClient's W3C headers make the gateway's request span its child: one trace from the edge to the worker and back.
/// </summary>
public static class EdgeTelemetry
{
    public const string Name = "SplitCompute.Edge";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("splitcompute.edge.requests", "{request}", "Edge requests, by path (split, cloud, fallback) and backend");
    private static readonly Histogram<double> StageMs = Meter.CreateHistogram<double>("splitcompute.edge.stage_ms", "ms", "Time per stage (request, download, edge, total)");
    private static readonly Counter<long> ShardBytes = Meter.CreateCounter<long>("splitcompute.edge.shard_bytes_downloaded", "By", "Shard bytes fetched over the network (cache misses)");
    private static readonly Counter<long> ShardCache = Meter.CreateCounter<long>("splitcompute.edge.shard_cache", "{shard}",
        "Shards the cache resolved for a request, by outcome (hit: used without downloading; miss: downloaded)");
    private static readonly KeyValuePair<string, object?> Hit = new("outcome", "hit");
    private static readonly KeyValuePair<string, object?> Miss = new("outcome", "miss");

    /// <summary>One shard resolved by the cache: a hit when this call used it without downloading (it was present and verified, or
    /// another process sharing the cache fetched it meanwhile), a miss when this call downloaded it.</summary>
    internal static void ShardResolved(bool hit) => ShardCache.Add(1, hit ? Hit : Miss);

    public static void Record(EdgeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var path = result.FellBack ? "fallback" : result.K < result.N ? "split" : "cloud";
        var pathTag = new KeyValuePair<string, object?>("path", path);
        Requests.Add(1, pathTag, new KeyValuePair<string, object?>("backend", result.Backend));
        var t = result.Timings;
        StageMs.Record(t.RequestMs, pathTag, new KeyValuePair<string, object?>("stage", "request"));
        StageMs.Record(t.DownloadMs, pathTag, new KeyValuePair<string, object?>("stage", "download"));
        StageMs.Record(t.EdgeMs, pathTag, new KeyValuePair<string, object?>("stage", "edge"));
        StageMs.Record(t.TotalMs, pathTag, new KeyValuePair<string, object?>("stage", "total"));
        if (t.DownloadedBytes > 0) ShardBytes.Add(t.DownloadedBytes);
        Activity.Current?.SetTag("splitcompute.path", path).SetTag("splitcompute.k", result.K).SetTag("splitcompute.n", result.N)
            .SetTag("splitcompute.backend", result.Backend);
    }
}
