using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using SplitCompute.EdgeRuntime.Integrity;
using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.EdgeRuntime.Telemetry;
using SplitCompute.EdgeRuntime.Tail;
using SplitCompute.Model.Forward;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Decisions;
using SplitCompute.Protocol.Embeddings;
using SplitCompute.Protocol.Feedback;
using SplitCompute.Protocol.Frames;

namespace SplitCompute.EdgeRuntime.Client;

/// <summary>
/// The client side of a split: asks the gateway for embeddings with this device's capability headers, and when the answer is a
/// hidden state, fetches (once) and verifies the tail's shards, runs layers [k, N) locally and pools. If anything on the edge
/// fails, it asks again with split=none, so the caller always gets an answer, and says so in <see cref="EdgeResult.FallbackReason"/>.
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
    private readonly Lock _tailGate = new();
    private string? _lastTail;
    private readonly ManifestVerifier? _verifier;

    public EdgeClient(EdgeOptions options, HttpMessageHandler? handler = null)
        : this(options, handler, createTail: null)
    {
    }

    /// <param name="createTail">
    /// Makes the tail backend in place of the one <see cref="EdgeOptions.Backend"/> names (null: that one). Internal, for tests
    /// that run a real backend under a decorator (e.g. one that loses its WebGPU device mid-request); the probe and the
    /// capability headers still follow <see cref="EdgeOptions.Backend"/>.
    /// </param>
    internal EdgeClient(EdgeOptions options, HttpMessageHandler? handler, Func<Gpt2Weights, ILayerRangeBackend>? createTail)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true) { BaseAddress = options.Gateway, Timeout = options.Timeout };
        _cache = new ShardCache(new ShardCacheOptions(options.CacheDirectory) { MaxBytes = options.CacheMaxBytes, Parallelism = options.DownloadParallelism });
        ClientId = EdgeClientId.LoadOrCreate(options.CacheDirectory);
        _feedback = new FeedbackReporter(_http, ClientId, options.FeedbackTimeout);
        _retry = RequestRetry.Create(options);
        _tail = new TailRunner(createTail ?? (options.Backend == EdgeBackend.WebGpu ? TailBackends.WebGpu() : TailBackends.Cpu));
        if (options.Backend == EdgeBackend.WebGpu) _probe = new EdgeDeviceProbe(options.ProbeCacheDirectory);
        if (options.ApiKey is { } key) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (options.ManifestPublicKeyPem is { } pem) _verifier = new ManifestVerifier(pem);
    }

    public string Backend => _options.Backend == EdgeBackend.WebGpu ? "webgpu" : "cpu";

    /// <summary>The adapter the tail runs on ("NVIDIA H100 80GB HBM3 (vulkan)", "llvmpipe ... (vulkan)", "16-core CPU"), or why none.</summary>
    public string Adapter => _probe is null
        ? $"{Environment.ProcessorCount}-core CPU"
        : _probe.Result is { } probe ? $"{probe.Adapter.Device} ({probe.Adapter.Backend})" : $"none: {_probe.Problem}";

    /// <summary>This installation's id (X-SplitCompute-Client), kept in the cache directory; the gateway's measured profile is under it.</summary>
    public string ClientId { get; }

    public Task<EdgeResult> EmbedTextsAsync(IReadOnlyList<string> texts, EdgeSplit split, CancellationToken cancellationToken = default) =>
        EmbedAsync(texts, split, cancellationToken);

    public Task<EdgeResult> EmbedIdsAsync(IReadOnlyList<int[]> ids, EdgeSplit split, CancellationToken cancellationToken = default) =>
        EmbedAsync(ids, split, cancellationToken);

    private async Task<EdgeResult> EmbedAsync(object input, EdgeSplit split, CancellationToken cancellationToken)
    {
        using var activity = EdgeTelemetry.Source.StartActivity("splitcompute.edge.embed", ActivityKind.Client);
        var result = await EmbedCoreAsync(input, split, cancellationToken).ConfigureAwait(false) with { Adapter = Adapter };
        EdgeTelemetry.Record(result);
        return result;
    }

    private async Task<EdgeResult> EmbedCoreAsync(object input, EdgeSplit split, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var (frame, response) = await RequestAsync(input, split.Preference, cancellationToken).ConfigureAwait(false);
        var requestMs = total.Elapsed.TotalMilliseconds;
        if (frame.Kind == FrameKind.Embeddings)
            return Result(frame, response, Rows(frame), new EdgeTimings(requestMs, 0, 0, 0, total.Elapsed.TotalMilliseconds), null);

        var decision = DecisionHeader.TryParse(Header(response, HeaderNames.Decision));  // read before the response is disposed
        var result = await RunTailAsync(input, frame, response, requestMs, total, cancellationToken).ConfigureAwait(false);
        return _options.SendFeedback ? result with { Feedback = await ReportAsync(frame, decision, result, cancellationToken).ConfigureAwait(false) } : result;
    }

    /// <summary>Shards, then layers [k, N) here; on any edge failure the cloud answers instead (and the result says why).</summary>
    private async Task<EdgeResult> RunTailAsync(object input, HiddenStateFrame frame, HttpResponseMessage response, double requestMs, Stopwatch total,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            if (_verifier is not null) await _verifier.VerifyAsync(_http, frame.Manifest!, cancellationToken).ConfigureAwait(false);
            var entries = frame.Manifest!.Shards.Append(frame.Manifest.FinalNorm).ToList();
            float[][]? embeddings;
            long downloaded;
            double downloadMs;
            // Cached shards are hashed while the tail loads them; nothing runs unless every hash matched.
            using (var shards = await _cache.EnsureVerifyingAsync(_http, _options.Gateway, entries, _options.DownloadProgress, cancellationToken).ConfigureAwait(false))
            {
                downloaded = shards.DownloadedBytes;
                downloadMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                _tail.TryRun(frame, shards.Paths, shards.Verified, out embeddings);
            }
            if (embeddings is null)
            {
                // A cached file did not match its hash and nothing loaded from it ran: the strict pass deletes it, fetches it
                // again and verifies everything before the tail loads.
                clock.Restart();
                using var shards = await _cache.EnsureAsync(_http, _options.Gateway, entries, _options.DownloadProgress, cancellationToken).ConfigureAwait(false);
                downloaded += shards.DownloadedBytes;
                downloadMs += clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                embeddings = _tail.Run(frame, shards.Paths);
            }
            var edgeMs = clock.Elapsed.TotalMilliseconds;
            return Result(frame, response, embeddings, new EdgeTimings(requestMs, downloadMs, downloaded, edgeMs, total.Elapsed.TotalMilliseconds), null);
        }
        catch (Exception ex) when (ex is ShardIntegrityException or ManifestVerificationException or HttpRequestException or ModelFormatException or IOException
                                       or OutOfMemoryException or InvalidOperationException or ArgumentException or DllNotFoundException
                                       or WebGpu.WebGpuException)
        {
            if (ex is WebGpu.WebGpuException or OutOfMemoryException) _tail.Reset();  // a lost device is not reused
            var reason = $"edge failed ({ex.GetType().Name}: {ex.Message}); answered by the cloud";
            var (cloud, cloudResponse) = await RequestAsync(input, SplitPreference.None, cancellationToken).ConfigureAwait(false);
            return Result(cloud, cloudResponse, Rows(cloud), new EdgeTimings(requestMs, 0, 0, 0, total.Elapsed.TotalMilliseconds), reason);
        }
    }

    /// <summary>Tells the gateway what this split really cost, so it plans this device's next requests by it.</summary>
    private async Task<string> ReportAsync(HiddenStateFrame frame, DecisionHeader? decision, EdgeResult result, CancellationToken cancellationToken)
    {
        if (decision?.Id is not { } id) return "not sent: the gateway's decision header carries no id";
        var t = result.Timings;
        var feedback = new EdgeFeedback(id, frame.Model, frame.LayersDone, frame.LayerCount, t.RequestMs, t.DownloadMs, t.DownloadedBytes, t.EdgeMs, t.TotalMs,
            result.FellBack, WeightsLoaded: LoadedWeights(frame, ranTail: !result.FellBack));
        return await _feedback.SendAsync(feedback, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether this tail ran on other weights than the previous one: the tail backend binds (CPU) or uploads (GPU) the weights
    /// of one revision and k at a time, so such a run timed loading them, and the gateway must not read it as compute speed.
    /// (A backend that keeps more resident only makes this conservative: a warm run flagged costs one sample.)
    /// </summary>
    private bool LoadedWeights(HiddenStateFrame frame, bool ranTail)
    {
        var key = $"{frame.Model}@{frame.Revision}/{frame.LayersDone.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        lock (_tailGate)
        {
            var loaded = key != _lastTail;
            if (ranTail) _lastTail = key;
            return loaded;
        }
    }

    /// <summary>One embeddings request, sent again on transient failures (<see cref="RequestRetry"/>).</summary>
    private async Task<(HiddenStateFrame Frame, HttpResponseMessage Response)> RequestAsync(object input, SplitPreference preference, CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(async token => await SendOnceAsync(input, preference, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    private async Task<(HiddenStateFrame Frame, HttpResponseMessage Response)> SendOnceAsync(object input, SplitPreference preference, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings")
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(_options.Model is null
                ? new Dictionary<string, object> { ["input"] = input }
                : new Dictionary<string, object> { ["model"] = _options.Model, ["input"] = input })),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.HiddenState));
        foreach (var (name, value) in CapabilityHeaderWriter.Write(Capabilities(preference))) request.Headers.TryAddWithoutValidation(name, value);
        request.Headers.TryAddWithoutValidation(HeaderNames.Client, ClientId);

        var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        byte[] body;
        try
        {
            body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
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

    private ClientCapabilities Capabilities(SplitPreference preference)
    {
        if (_probe is null) return CpuCapabilities(preference);
        // WebGPU: what the probe measured; no adapter means no WebGPU headers, so the gateway answers from the cloud.
        var probed = _probe.Result?.ToCapabilities() ?? new ClientCapabilities();
        return probed with
        {
            Network = new NetworkMeasurements(_options.DownlinkMbps, _options.RttMs),
            HeldShards = [.. _cache.HeldShards().Take(CapabilityBounds.MaxShards).Select(h => CapabilityHeaderWriter.ShardPrefix(h))],
            Split = _probe.Result is null ? SplitPreference.None : preference,
        };
    }

    private ClientCapabilities CpuCapabilities(SplitPreference preference) => new()
    {
        Adapter = new AdapterInfo(Vendor: "cpu", Architecture: System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
            Device: $"{Environment.ProcessorCount}-core CPU", Backend: Backend),
        Perf = new PerfMeasurements(_options.Gflops, _options.UploadGBps * 8),  // the header carries Gbit/s
        Network = new NetworkMeasurements(_options.DownlinkMbps, _options.RttMs),
        HeldShards = [.. _cache.HeldShards().Take(CapabilityBounds.MaxShards).Select(h => CapabilityHeaderWriter.ShardPrefix(h))],
        Split = preference,
    };

    private EdgeResult Result(HiddenStateFrame frame, HttpResponseMessage response, float[][] embeddings, EdgeTimings timings, string? fallback)
    {
        using (response)
        {
            var warnings = response.Headers.TryGetValues(HeaderNames.Warning, out var w) ? w.ToArray() : [];
            var decision = Header(response, HeaderNames.Decision);
            var worker = DecisionHeader.TryParse(decision)?.Worker;
            return new EdgeResult(embeddings, frame.LayersDone, frame.LayerCount, worker, frame.Kind == FrameKind.Embeddings ? "cloud" : Backend,
                timings, decision, Header(response, HeaderNames.Predicted), warnings, fallback);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private static float[][] Rows(HiddenStateFrame frame) =>
        [.. Enumerable.Range(0, frame.BatchSize).Select(b => frame.Row(b).ToArray())];

    private static string ProblemDetail(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : System.Text.Encoding.UTF8.GetString(body);
        }
        catch (JsonException)
        {
            return System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 512)));
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _tail.Dispose();
        _verifier?.Dispose();
    }
}
