using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using SplitCompute.EdgeRuntime.Integrity;
using SplitCompute.EdgeRuntime.Link;
using SplitCompute.EdgeRuntime.Prefetch;
using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.EdgeRuntime.Telemetry;
using SplitCompute.EdgeRuntime.Tail;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Decisions;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Feedback;
using SplitCompute.Protocol.Frames;
using SplitCompute.Protocol.Manifests;
using SplitCompute.Protocol.Workers;
using SplitCompute.WebGpu.Backend;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// The client side of a split: asks the gateway for embeddings with this device's capability headers, and when the answer is a
/// hidden state, fetches (once) and verifies the tail's shards, runs layers [k, N) locally and pools. If anything on the edge
/// fails (<see cref="EdgeFailureException"/>), it asks again with split=none, so the caller still gets an answer, and says so in
/// <see cref="EdgeResult.FallbackReason"/>; any other exception is a bug and propagates.
/// </summary>
public sealed class EdgeClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly EdgeOptions _options;
    private readonly ShardCache _cache;
    private readonly TailRunner _tail;
    private readonly EdgeDeviceProbe? _probe;
    private readonly FeedbackReporter _feedback;
    private readonly Polly.ResiliencePipeline _retry;
    private readonly ManifestVerifier? _verifier;
    private readonly LinkEstimator _link;
    private readonly RequestDownloads _requestDownloads = new();
    private readonly ShardPrefetcher? _prefetch;
    private double _warmupBeforeFirstCallMs;  // taken (set to -1) by the first request

    public EdgeClient(EdgeOptions options, HttpMessageHandler? handler = null)
        : this(options, handler, createTail: null)
    {
    }

    /// <param name="createTail">
    /// Makes the tail backend in place of the one <see cref="EdgeOptions.Backend"/> names (null: that one): a real backend under a
    /// decorator, e.g. one that loses its WebGPU device mid-request (tests) or one that emulates a slower device (the fleet
    /// benchmark); the probe and the capability headers still follow <see cref="EdgeOptions.Backend"/>.
    /// </param>
    public EdgeClient(EdgeOptions options, HttpMessageHandler? handler, Func<Gpt2Weights, ILayerRangeBackend>? createTail)
    {
        ArgumentNullException.ThrowIfNull(options);
        var constructed = options.WarmupSince ?? Stopwatch.GetTimestamp();
        _options = options;
        _http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true) { BaseAddress = options.Gateway, Timeout = options.Timeout };
        _cache = new ShardCache(new ShardCacheOptions(options.CacheDirectory) { MaxBytes = options.CacheMaxBytes, Parallelism = options.DownloadParallelism });
        ClientId = EdgeClientId.LoadOrCreate(options.CacheDirectory);
        _feedback = new FeedbackReporter(_http, ClientId, options.FeedbackTimeout);
        _retry = RequestRetry.Create(options);
        _tail = options.Backend == EdgeBackend.WebGpu
            ? new TailRunner(createTail ?? TailBackends.WebGpu(Tuned(options)), TailBackends.WebGpuEncoder(Tuned(options)))
            : new TailRunner(createTail ?? TailBackends.Cpu);
        if (options.Backend == EdgeBackend.WebGpu) _probe = new EdgeDeviceProbe(options.ProbeCacheDirectory, options.ProbeMaxAge);
        if (options.ApiKey is { } key) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (options.ManifestPublicKeyPem is { } pem) _verifier = new ManifestVerifier(pem);
        _link = new LinkEstimator(options.CacheDirectory);
        if (options.Prefetch) _prefetch = new ShardPrefetcher(_http, options.Gateway, _cache, _requestDownloads, _verifier, _link);
        _warmupBeforeFirstCallMs = Stopwatch.GetElapsedTime(constructed).TotalMilliseconds;
    }

    /// <summary>WebGPU tails use the kernel forms the probe tuned, from the directory this client's probe caches in.</summary>
    private static WebGpuBackendOptions Tuned(EdgeOptions options) =>
        options.ProbeCacheDirectory is { } directory ? new WebGpuBackendOptions { TunedKernelsDirectory = directory } : new WebGpuBackendOptions();

    /// <summary>The link as measured so far (shared by the processes using this cache directory).</summary>
    public LinkProfile Link => _link.Profile;

    /// <summary>The background prefetch started by the last split (completed when none); it never throws.</summary>
    public Task PrefetchCompletion => _prefetch?.Current ?? Task.CompletedTask;

    /// <summary>Shards the background prefetch downloaded so far, and its last problem (null when none).</summary>
    public (int Fetched, string? Problem) PrefetchState => _prefetch is null ? (0, null) : (_prefetch.Fetched, _prefetch.LastProblem);

    public string Backend => _options.Backend == EdgeBackend.WebGpu ? "webgpu" : "cpu";

    /// <summary>The adapter the tail runs on ("NVIDIA H100 80GB HBM3 (vulkan)", "llvmpipe ... (vulkan)", "16-core CPU"), or why none.</summary>
    /// <remarks>Never waits for a probe: before the first split request on a machine with no cached probe it says "not probed yet".</remarks>
    public string Adapter => _probe is null
        ? $"{Environment.ProcessorCount}-core CPU"
        : _probe.Result is { } probe ? $"{probe.Adapter.Device} ({probe.Adapter.Backend})" : $"none: {_probe.Problem}";

    /// <summary>This installation's id (X-SplitCompute-Client), kept in the cache directory; the gateway's measured profile is under it.</summary>
    public string ClientId { get; }

    public Task<EdgeResult> EmbedTextsAsync(IReadOnlyList<string> texts, SplitPreference split, CancellationToken cancellationToken = default) =>
        EmbedAsync(new EmbedCall(texts, EdgeEmbedding.Default), split, cancellationToken);

    /// <summary>Texts embedded with <c>dimensions</c> and <c>normalize</c> as <paramref name="embedding"/> asks (OpenAI's and TEI's fields).</summary>
    public Task<EdgeResult> EmbedTextsAsync(IReadOnlyList<string> texts, SplitPreference split, EdgeEmbedding embedding, CancellationToken cancellationToken = default) =>
        EmbedAsync(new EmbedCall(texts, embedding ?? EdgeEmbedding.Default), split, cancellationToken);

    public Task<EdgeResult> EmbedIdsAsync(IReadOnlyList<int[]> ids, SplitPreference split, CancellationToken cancellationToken = default) =>
        EmbedAsync(new EmbedCall(ids, EdgeEmbedding.Default), split, cancellationToken);

    public Task<EdgeResult> EmbedIdsAsync(IReadOnlyList<int[]> ids, SplitPreference split, EdgeEmbedding embedding, CancellationToken cancellationToken = default) =>
        EmbedAsync(new EmbedCall(ids, embedding ?? EdgeEmbedding.Default), split, cancellationToken);

    /// <summary>One call's input (texts or token ids) and what it asks of the finished embeddings.</summary>
    private sealed record EmbedCall(object Input, EdgeEmbedding Embedding);

    private async Task<EdgeResult> EmbedAsync(EmbedCall input, SplitPreference split, CancellationToken cancellationToken)
    {
        using var activity = EdgeTelemetry.Source.StartActivity("splitcompute.edge.embed", ActivityKind.Client);
        var result = await EmbedCoreAsync(input, split, cancellationToken).ConfigureAwait(false) with { Adapter = Adapter };
        EdgeTelemetry.Record(result);
        return result;
    }

    private async Task<EdgeResult> EmbedCoreAsync(EmbedCall input, SplitPreference split, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var before = Interlocked.Exchange(ref _warmupBeforeFirstCallMs, -1);
        var first = before >= 0;
        var (capabilities, probeWaitMs) = await PrepareAsync(split, cancellationToken).ConfigureAwait(false);
        // The first request's one-time cost: what came before the call, and everything this call did before the request left.
        var warmupMs = first ? before + total.Elapsed.TotalMilliseconds : 0;
        var preSendMs = total.Elapsed.TotalMilliseconds;
        var (frame, response) = await RequestAsync(input, capabilities, cancellationToken).ConfigureAwait(false);
        var requestMs = total.Elapsed.TotalMilliseconds - preSendMs;
        var beforeCallMs = first ? before : 0;
        EdgeResult result;
        if (frame.Kind == FrameKind.Embeddings)
        {
            result = Result(frame, response, Rows(frame), new EdgeTimings(requestMs, 0, 0, 0, beforeCallMs + total.Elapsed.TotalMilliseconds), null, input.Embedding);
        }
        else
        {
            var decision = DecisionHeader.TryParse(Header(response, HeaderNames.Decision));  // read before the response is disposed
            result = await RunTailAsync(input, frame, response, requestMs, total, beforeCallMs, cancellationToken).ConfigureAwait(false);
            if (!result.FellBack) _prefetch?.After(frame.Manifest!, frame.LayersDone);
            if (_options.SendFeedback) result = result with { Feedback = await ReportAsync(frame, decision, result, cancellationToken).ConfigureAwait(false) };
        }
        return result with { WarmupMs = warmupMs, ProbeWaitMs = probeWaitMs };
    }

    /// <summary>
    /// The capability headers of a request. A split request may wait for the WebGPU probe only when this machine has none cached;
    /// a cloud-only request never probes. With nothing measured about the link yet, one cheap request (GET /alive) measures RTT.
    /// </summary>
    private async Task<(ClientCapabilities Capabilities, double ProbeWaitMs)> PrepareAsync(SplitPreference preference, CancellationToken cancellationToken)
    {
        if (preference.IsNone) return (new ClientCapabilities { Split = SplitPreference.None }, 0);
        var probeWaitMs = 0.0;
        var probed = _probe?.ForRequest(out probeWaitMs);
        if (_options.RttMs is null && !_link.HasRtt) await MeasureRttAsync(cancellationToken).ConfigureAwait(false);
        return (Capabilities(preference, probed), probeWaitMs);
    }

    /// <summary>A timed GET /alive: network and gateway only, nothing queued or computed (it also opens the connection).</summary>
    private async Task MeasureRttAsync(CancellationToken cancellationToken)
    {
        try
        {
            using (await _http.GetAsync("/alive", cancellationToken).ConfigureAwait(false)) { }  // connection set-up is not a round trip
            var clock = Stopwatch.StartNew();
            using var response = await _http.GetAsync("/alive", HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) _link.ObserveRtt(clock.Elapsed.TotalMilliseconds);
        }
        catch (HttpRequestException)
        {
            // The embeddings request will meet the same problem and report it; the link stays unmeasured.
        }
    }

    /// <summary>Shards, then layers [k, N) here; on an edge failure the cloud answers instead (and the result says why).</summary>
    private async Task<EdgeResult> RunTailAsync(EmbedCall input, HiddenStateFrame frame, HttpResponseMessage response, double requestMs, Stopwatch total,
        double beforeCallMs, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (_verifier is not null) await _verifier.VerifyAsync(_http, frame.Manifest!, cancellationToken).ConfigureAwait(false);
            var entries = frame.Manifest!.TailEntries.ToList();
            TailRun? run;
            long downloaded;
            double downloadMs, strictDownloadMs = 0;
            // Cached shards are hashed while the tail loads them; nothing runs unless every hash matched.
            using (var shards = await EnsureShardsAsync(entries, verifying: true, cancellationToken).ConfigureAwait(false))
            {
                downloaded = shards.DownloadedBytes;
                downloadMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                _tail.TryRunMeasured(frame, shards.Paths, shards.Verified, out run);
            }
            if (run is null)
            {
                // A cached file did not match its hash and nothing loaded from it ran: the strict pass deletes it, fetches it
                // again and verifies everything before the tail loads. All of the tail but its compute was loading.
                var strict = Stopwatch.StartNew();
                using var shards = await EnsureShardsAsync(entries, verifying: false, cancellationToken).ConfigureAwait(false);
                downloaded += shards.DownloadedBytes;
                strictDownloadMs = strict.Elapsed.TotalMilliseconds;
                run = _tail.RunMeasured(frame, shards.Paths);
            }
            if (downloaded > 0) _link.ObserveTransfer(downloaded, downloadMs + strictDownloadMs);
            var edgeMs = clock.Elapsed.TotalMilliseconds - strictDownloadMs;  // the tail: loading (if any) and compute
            var loadMs = strictDownloadMs > 0 ? Math.Max(0, edgeMs - run.ComputeMs) : Math.Min(run.LoadMs, edgeMs);
            var timings = new EdgeTimings(requestMs, downloadMs + strictDownloadMs, downloaded, edgeMs, beforeCallMs + total.Elapsed.TotalMilliseconds,
                run.WeightsLoaded ? loadMs : 0, run.LoadedBytes);
            return Result(frame, response, run.Embeddings, timings, null, input.Embedding);
        }
        catch (EdgeFailureException ex)  // only this: a bug anywhere in the edge reaches the caller instead of hiding as a fallback
        {
            var reason = $"edge failed ({ex.Kind}: {ex.Message}); answered by the cloud";
            var (cloud, cloudResponse) = await RequestAsync(input, new ClientCapabilities { Split = SplitPreference.None }, cancellationToken).ConfigureAwait(false);
            return Result(cloud, cloudResponse, Rows(cloud), new EdgeTimings(requestMs, 0, 0, 0, beforeCallMs + total.Elapsed.TotalMilliseconds), reason, input.Embedding);
        }
    }

    /// <summary>A request's own shards; marked while they download so the background prefetch keeps off the link.</summary>
    private async Task<ShardLease> EnsureShardsAsync(IReadOnlyList<ShardEntry> entries, bool verifying, CancellationToken cancellationToken)
    {
        using var downloading = _requestDownloads.Begin();
        return verifying
            ? await _cache.EnsureVerifyingAsync(_http, _options.Gateway, entries, _options.DownloadProgress, cancellationToken).ConfigureAwait(false)
            : await _cache.EnsureAsync(_http, _options.Gateway, entries, _options.DownloadProgress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Tells the gateway what this split really cost, so it plans this device's next requests by it.</summary>
    private async Task<string> ReportAsync(HiddenStateFrame frame, DecisionHeader? decision, EdgeResult result, CancellationToken cancellationToken)
    {
        if (decision?.Id is not { } id) return "not sent: the gateway's decision header carries no id";
        var t = result.Timings;
        // What was really done: weights loaded (LoadedBytes > 0, LoadMs of EdgeMs) or resident (both 0).
        var feedback = new EdgeFeedback(id, frame.Model, frame.LayersDone, frame.LayerCount, t.RequestMs, t.DownloadMs, t.DownloadedBytes, t.EdgeMs, t.TotalMs,
            result.FellBack, WeightsLoaded: t.LoadedBytes > 0, LoadMs: t.LoadMs, LoadedBytes: t.LoadedBytes);
        return await _feedback.SendAsync(feedback, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One embeddings request, sent again on transient failures (<see cref="RequestRetry"/>).</summary>
    private async Task<(HiddenStateFrame Frame, HttpResponseMessage Response)> RequestAsync(EmbedCall input, ClientCapabilities capabilities, CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(async token => await SendOnceAsync(input, capabilities, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// One request. Its time to response headers less the worker's own time (X-SplitCompute-Worker-Ms total) is a round trip,
    /// and a large answer's body time a downlink sample (<see cref="LinkEstimator"/>).
    /// </summary>
    private async Task<(HiddenStateFrame Frame, HttpResponseMessage Response)> SendOnceAsync(EmbedCall input, ClientCapabilities capabilities, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings")
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(input.Embedding.Body(_options.Model, input.Input))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // pool-from=1: this client honours a frame's pool_from (a model that pools without its prompt can then be split).
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.HiddenState) { Parameters = { new NameValueHeaderValue(MediaTypes.PoolFromParameter, "1") } });
        foreach (var (name, value) in CapabilityHeaderWriter.Write(capabilities)) request.Headers.TryAddWithoutValidation(name, value);
        request.Headers.TryAddWithoutValidation(HeaderNames.Client, ClientId);

        var clock = Stopwatch.StartNew();
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var headersMs = clock.Elapsed.TotalMilliseconds;
        byte[] body;
        try
        {
            body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                _link.ObserveRequest(headersMs, WorkerTiming.TryParse(Header(response, HeaderNames.WorkerMs), out var worker) ? worker.TotalMs : null);
                _link.ObserveTransfer(body.LongLength, clock.Elapsed.TotalMilliseconds - headersMs);
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response) throw new EdgeRequestException(response.StatusCode, ProblemDetail(body), RetryAfter(response));
        }
        try
        {
            return (FrameReader.Read(body), response);
        }
        catch (ProtocolException ex)
        {
            throw new ProtocolException($"the gateway's answer is not a valid hidden-state frame: {ex.Message}", ex.Field, ex.Offset, ex);
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter is { } after ? after.Delta ?? (after.Date - DateTimeOffset.UtcNow) : null;

    private ClientCapabilities Capabilities(SplitPreference preference, WebGpu.Probe.WebGpuProbeResult? probed)
    {
        var device = _probe is null
            ? CpuCapabilities()
            // WebGPU: what the probe measured; no adapter means no WebGPU headers, so the gateway answers from the cloud.
            : probed?.ToCapabilities() ?? new ClientCapabilities();
        return device with
        {
            Network = Network(),
            HeldShards = Prefixes(_cache.HeldShards()),
            ResidentShards = Prefixes(_tail.ResidentShards),
            Power = _options.Power,
            Split = _probe is not null && probed is null ? SplitPreference.None : preference,
        };
    }

    /// <summary>The measured link (or the figures the options impose, for simulated profiles and tests).</summary>
    private NetworkMeasurements? Network()
    {
        var measured = _link.Advertised();
        if (_options.DownlinkMbps is null && _options.RttMs is null) return measured;
        return new NetworkMeasurements(_options.DownlinkMbps ?? measured?.DownlinkMbps, _options.RttMs ?? measured?.RttMs);
    }

    private static IReadOnlyList<string> Prefixes(IEnumerable<string> hashes) =>
        [.. hashes.Take(CapabilityBounds.MaxShards).Select(h => CapabilityHeaderWriter.ShardPrefix(h))];

    private ClientCapabilities CpuCapabilities() => new()
    {
        Adapter = new AdapterInfo(Vendor: "cpu", Architecture: System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
            Device: $"{Environment.ProcessorCount}-core CPU", Backend: Backend),
        Perf = new PerfMeasurements(_options.Gflops, _options.UploadGBps * 8),  // the header carries Gbit/s
    };

    /// <summary>The caller's answer: the pooled <paramref name="embeddings"/> finished as the worker says (dimensions, normalize).</summary>
    private EdgeResult Result(HiddenStateFrame frame, HttpResponseMessage response, float[][] embeddings, EdgeTimings timings, string? fallback,
        EdgeEmbedding asked)
    {
        using (response)
        {
            var shaping = asked.Shaping(Header(response, HeaderNames.Shaping));
            embeddings = [.. shaping.Apply(embeddings)];
            var warnings = response.Headers.TryGetValues(HeaderNames.Warning, out var w) ? w.ToArray() : [];
            var decision = Header(response, HeaderNames.Decision);
            var worker = DecisionHeader.TryParse(decision)?.Worker;
            // The backend that really ran the tail (the one this client was given, or the cloud after a fallback).
            var ran = frame.Kind == FrameKind.Embeddings ? "cloud" : _tail.BackendName ?? Backend;
            return new EdgeResult(embeddings, frame.LayersDone, frame.LayerCount, worker, ran,
                timings, decision, Header(response, HeaderNames.Predicted), warnings, fallback)
            {
                WorkerTiming = WorkerTiming.TryParse(Header(response, HeaderNames.WorkerMs), out var timing) ? timing : null,
            };
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private static float[][] Rows(HiddenStateFrame frame) =>
        [.. Enumerable.Range(0, frame.BatchSize).Select(b => frame.Row(b).ToArray())];

    /// <summary>The message of the gateway's error (OpenAI's error object, or problem+json from older gateways), else the body's start.</summary>
    private static string ProblemDetail(byte[] body) =>
        Protocol.Errors.ApiError.ReadMessage(body) ?? System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 512)));

    public void Dispose()
    {
        _prefetch?.Dispose();  // before the HttpClient its downloads use
        _probe?.Dispose();
        _http.Dispose();
        _tail.Dispose();
        _verifier?.Dispose();
    }
}
