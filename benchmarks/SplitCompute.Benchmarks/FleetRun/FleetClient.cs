using System.Diagnostics;
using System.Net.Http.Json;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.EdgeRuntime.Tail;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Workers;

namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>
/// One long-lived user of the fleet: a real edge runtime (capable profiles; its own shard cache, client id and learned profile at
/// the gateway) or a plain OpenAI-JSON client, each behind its profile's emulated link.
/// </summary>
internal sealed class FleetClient : IDisposable
{
    private readonly EdgeClient? _edge;
    private readonly HttpClient? _json;
    private int _sent;

    public FleetClient(int id, ClientProfile profile, Uri gateway, string cacheDirectory, bool webGpu)
    {
        (Id, Profile) = (id, profile);
        if (!profile.Capable)
        {
            _json = new HttpClient(new EmulatedLink(profile.RttMs, profile.DownlinkMbps)) { BaseAddress = gateway, Timeout = RequestTimeout };
            return;
        }
        var options = new EdgeOptions(gateway, cacheDirectory)
        {
            Gflops = profile.ReportedGflops,
            Power = profile.OnBattery ? new Protocol.Capabilities.PowerState(OnBattery: true, SaveEnergy: false) : null,
            Backend = webGpu ? EdgeBackend.WebGpu : EdgeBackend.Cpu,
            Retries = 2,
            Timeout = RequestTimeout,
        };
        var real = webGpu ? TailBackends.WebGpu() : TailBackends.Cpu;
        _edge = new EdgeClient(options, new EmulatedLink(profile.RttMs, profile.DownlinkMbps),
            weights => profile.Slowdown > 1 ? new EmulatedDevice(real(weights), profile.Slowdown) : real(weights));
    }

    /// <summary>A request not answered within this counts as failed: an overloaded policy must not hold the run for minutes.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public int Id { get; }

    public ClientProfile Profile { get; }

    /// <summary>Requests this client has sent (its index in the fleet's records).</summary>
    public int Sent => Volatile.Read(ref _sent);

    public async Task<RequestRecord> SendAsync(IReadOnlyList<string> texts, string policy, int layers)
    {
        var index = Interlocked.Increment(ref _sent);
        var clock = Stopwatch.StartNew();
        try
        {
            if (_edge is not null)
            {
                var result = await _edge.EmbedTextsAsync(texts, FleetPolicy.Split(policy, layers)).ConfigureAwait(false);
                return Record(index, result.K, result.N, result.Timings.TotalMs, result.FellBack, result.WorkerTiming, result.Predicted);
            }
            using var response = await _json!.PostAsJsonAsync("/v1/embeddings", new { input = texts }).ConfigureAwait(false);
            await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            var ms = clock.Elapsed.TotalMilliseconds;
            if (!response.IsSuccessStatusCode) return Failed(index, ms);
            var timing = WorkerTiming.TryParse(Header(response, HeaderNames.WorkerMs), out var parsed) ? parsed : null;
            return Record(index, layers, layers, ms, false, timing, Header(response, HeaderNames.Predicted));
        }
        catch (Exception ex) when (ex is HttpRequestException or EdgeRequestException or TaskCanceledException or IOException)
        {
            return Failed(index, clock.Elapsed.TotalMilliseconds);
        }
    }

    private RequestRecord Record(int index, int k, int n, double totalMs, bool fellBack, WorkerTiming? worker, string? predicted) =>
        new(Profile.Name, Id, index, k, n, totalMs, fellBack, false, worker?.BusyMs, worker?.FullMs, worker?.WaitMs,
            RequestRecord.Predicted(predicted, "total-ms"), RequestRecord.Predicted(predicted, "queue-ms"), RequestRecord.Predicted(predicted, "gpu-ms-saved"));

    private RequestRecord Failed(int index, double ms) => new(Profile.Name, Id, index, 0, 0, ms, false, true, null, null, null, null, null, null);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    public void Dispose()
    {
        _edge?.Dispose();
        _json?.Dispose();
    }
}
