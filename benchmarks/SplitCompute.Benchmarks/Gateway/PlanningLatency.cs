using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Planning;
using SplitCompute.Tokenization;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>
/// In-process latency of the per-request planning work, each call timed on its own (Stopwatch.GetTimestamp before and after;
/// the timer's own cost is printed): SplitPlanner.Plan for gpt2-xl (48 layers x 1600) with a client that holds half the
/// shards, CapabilityHeaderParser.Parse of the headers such a client sends, and, for context, the other per-request steps of
/// the gateway (body parse, tokenization of the benchmark's input).
/// </summary>
internal static class PlanningLatency
{
    private static object? _sink;

    /// <summary>Prints the table; returns the p99 of SplitPlanner.Plan and of CapabilityHeaderParser.Parse, in microseconds.</summary>
    public static (double PlanP99, double ParseP99) Run(int calls)
    {
        var manifest = FakeWorkerHeartbeat.Manifest("gpt2-xl", "bench-xl", 48, 1600, 25);
        var model = new ModelProfile(manifest.Model, manifest.Revision, manifest.NLayer, manifest.NEmbd,
            [.. manifest.Shards.Select(s => s.Sha256)], [.. manifest.Shards.Select(s => s.Bytes)], manifest.FinalNorm!.Sha256, manifest.FinalNorm.Bytes);
        var worker = new WorkerLoad("w1", "http://10.0.0.5:8080", "cuda", QueueMs: 12.5, MsPerLayerToken: 0.004, EmbedMsPerToken: 0.001,
            InFlight: 3, QueueDepth: 2, Capacity: 8);
        var capabilities = ClientCapabilitiesFor(manifest, heldFrom: 24);
        var headers = CapabilityHeaderWriter.Write(capabilities).ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        // As the gateway builds it (CapabilityReader): 16-char prefixes in an ordinal set, upload Gbit/s -> GB/s.
        var client = new ClientProfile(capabilities.Perf!.Gflops!.Value, capabilities.Perf.UploadGbps!.Value / 8, capabilities.Network!.DownlinkMbps!.Value,
            capabilities.Network.RttMs!.Value, capabilities.HeldShards.ToHashSet(StringComparer.Ordinal));
        var request = new PlanRequest(Sequences: 4, PaddedLength: 64, Tokens: 200);
        var planner = new SplitPlanner(Options.Create(new PlannerOptions()));
        var body = Encoding.UTF8.GetBytes(GatewayBenchmark.RequestBody);
        var tokenizer = Gpt2Tokenizer.CreateDefault();

        var plan = planner.Plan(model, worker, client, request);
        var parsed = CapabilityHeaderParser.Parse(name => headers.GetValueOrDefault(name));
        Console.WriteLine($"plan input: gpt2-xl {model.Layers} x {model.Channels}, B={request.Sequences} T={request.PaddedLength} tokens={request.Tokens}, " +
                          $"client holds {client.HeldShards.Count} shard prefixes (layers 24..47 + final norm), {client.Gflops} GFLOP/s, {client.DownlinkMbps} Mbit/s, rtt {client.RttMs} ms");
        Console.WriteLine($"plan output: k={plan.K} of n={plan.N}, predicted {plan.Predicted.TotalMs:F2} ms vs cloud-only {plan.CloudOnly.TotalMs:F2} ms ({plan.Reason})");
        Console.WriteLine($"headers parsed: {headers.Count} headers, {headers.Values.Sum(v => v.Length)} chars, {parsed.Capabilities?.HeldShards.Count} shards, {parsed.Warnings.Count} warnings, CanPlan={parsed.Capabilities?.CanPlan}");
        Console.WriteLine();
        Console.WriteLine($"per-call latency, {calls:N0} calls each after warm-up (microseconds; alloc = bytes allocated per call)");
        Console.WriteLine($"{"operation",-44} {"p50",8} {"p99",8} {"p99.9",8} {"max",9} {"mean",8} {"alloc",7} {"gen0",5}");
        Print("timer alone (GetTimestamp pair)", Measure(calls, static () => null));
        var planStats = Measure(calls, () => planner.Plan(model, worker, client, request));
        Print("SplitPlanner.Plan (auto, 48 layers)", planStats);
        Print("SplitPlanner.Plan (no client: JSON path)", Measure(calls, () => planner.Plan(model, worker, null, request)));
        var parseStats = Measure(calls, () => CapabilityHeaderParser.Parse(name => headers.GetValueOrDefault(name)));
        Print($"CapabilityHeaderParser.Parse ({headers.Count} headers)", parseStats);
        Print("EmbeddingRequestParser.Parse (bench body)", Measure(calls / 4, () => EmbeddingRequestParser.Parse(body)));
        Print("Gpt2Tokenizer.Encode (bench input)", Measure(calls / 4, () => tokenizer.Encode(GatewayBenchmark.InputText)));
        return (planStats.P99, parseStats.P99);
    }

    /// <summary>The capabilities an edge client that already ran layers [heldFrom, n) would send, with 16-char shard prefixes.</summary>
    public static ClientCapabilities ClientCapabilitiesFor(ShardManifest manifest, int heldFrom) => new()
    {
        Adapter = new AdapterInfo("nvidia", "ada", "NVIDIA GeForce RTX 4070", "vulkan"),
        Limits = new AdapterLimits(4_294_967_296, 2_147_483_644, 32_768),
        Features = ["shader-f16", "subgroups", "timestamp-query"],
        Perf = new PerfMeasurements(Gflops: 850, UploadGbps: 16),
        Network = new NetworkMeasurements(DownlinkMbps: 200, RttMs: 18),
        HeldShards = [.. manifest.Shards.Skip(heldFrom).Append(manifest.FinalNorm!).Select(s => CapabilityHeaderWriter.ShardPrefix(s.Sha256))],
    };

    private sealed record Stats(double P50, double P99, double P999, double Max, double Mean, double AllocPerCall, int Gen0);

    private static Stats Measure(int calls, Func<object?> body)
    {
        // Warm-up long enough for tiered compilation to settle (tier-1 with PGO after ~100 ms of steady calls).
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 1_500)
        {
            for (var i = 0; i < 1_000; i++) _sink = body();
        }
        var ticks = new long[calls];
        var gen0 = GC.CollectionCount(0);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < calls; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            _sink = body();
            ticks[i] = Stopwatch.GetTimestamp() - t0;
        }
        var allocPerCall = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)calls;
        gen0 = GC.CollectionCount(0) - gen0;
        var mean = ticks.Average();
        Array.Sort(ticks);
        double Us(double t) => t * 1e6 / Stopwatch.Frequency;
        long At(double q) => ticks[Math.Min(ticks.Length - 1, (int)Math.Ceiling(q * ticks.Length) - 1)];
        return new Stats(Us(At(0.50)), Us(At(0.99)), Us(At(0.999)), Us(ticks[^1]), Us(mean), allocPerCall, gen0);
    }

    private static void Print(string name, Stats s) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-44} {s.P50,8:F3} {s.P99,8:F3} {s.P999,8:F3} {s.Max,9:F1} {s.Mean,8:F3} {s.AllocPerCall,7:F0} {s.Gen0,5}"));

}
