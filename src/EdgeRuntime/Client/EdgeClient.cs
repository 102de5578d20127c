using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using SplitCompute.EdgeRuntime.Integrity;
using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.EdgeRuntime.Tail;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Embeddings;
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
    private readonly TailRunner _tail = new();
    private readonly ManifestVerifier? _verifier;

    public EdgeClient(EdgeOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true) { BaseAddress = options.Gateway, Timeout = options.Timeout };
        _cache = new ShardCache(options.CacheDirectory);
        if (options.ApiKey is { } key) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (options.ManifestPublicKeyPem is { } pem) _verifier = new ManifestVerifier(pem);
    }

    public string Backend => "cpu";

    public Task<EdgeResult> EmbedTextsAsync(IReadOnlyList<string> texts, EdgeSplit split, CancellationToken cancellationToken = default) =>
        EmbedAsync(texts, split, cancellationToken);

    public Task<EdgeResult> EmbedIdsAsync(IReadOnlyList<int[]> ids, EdgeSplit split, CancellationToken cancellationToken = default) =>
        EmbedAsync(ids, split, cancellationToken);

    private async Task<EdgeResult> EmbedAsync(object input, EdgeSplit split, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var (frame, response) = await RequestAsync(input, split.Preference, cancellationToken).ConfigureAwait(false);
        var requestMs = total.Elapsed.TotalMilliseconds;
        if (frame.Kind == FrameKind.Embeddings)
            return Result(frame, response, Rows(frame), new EdgeTimings(requestMs, 0, 0, 0, total.Elapsed.TotalMilliseconds), null);

        var clock = Stopwatch.StartNew();
        try
        {
            if (_verifier is not null) await _verifier.VerifyAsync(_http, frame.Manifest!, cancellationToken).ConfigureAwait(false);
            var entries = frame.Manifest!.Shards.Append(frame.Manifest.FinalNorm).ToList();
            var (paths, downloaded) = await _cache.EnsureAsync(_http, _options.Gateway, entries, cancellationToken).ConfigureAwait(false);
            var downloadMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var embeddings = _tail.Run(frame, paths);
            var edgeMs = clock.Elapsed.TotalMilliseconds;
            return Result(frame, response, embeddings, new EdgeTimings(requestMs, downloadMs, downloaded, edgeMs, total.Elapsed.TotalMilliseconds), null);
        }
        catch (Exception ex) when (ex is ShardIntegrityException or ManifestVerificationException or HttpRequestException or ModelFormatException or IOException
                                       or OutOfMemoryException or InvalidOperationException or ArgumentException or DllNotFoundException)
        {
            var reason = $"edge failed ({ex.GetType().Name}: {ex.Message}); answered by the cloud";
            var (cloud, cloudResponse) = await RequestAsync(input, SplitPreference.None, cancellationToken).ConfigureAwait(false);
            return Result(cloud, cloudResponse, Rows(cloud), new EdgeTimings(requestMs, 0, 0, 0, total.Elapsed.TotalMilliseconds), reason);
        }
    }

    private async Task<(HiddenStateFrame Frame, HttpResponseMessage Response)> RequestAsync(object input, SplitPreference preference, CancellationToken cancellationToken)
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

        var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new EdgeRequestException(response.StatusCode, ProblemDetail(body));
        try
        {
            return (FrameReader.Read(body), response);
        }
        catch (ProtocolException ex)
        {
            throw new ProtocolException($"the gateway's answer is not a valid hidden-state frame: {ex.Message}", ex.Field, ex.Offset, ex);
        }
    }

    private ClientCapabilities Capabilities(SplitPreference preference) => new()
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
            string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
            var warnings = response.Headers.TryGetValues(HeaderNames.Warning, out var w) ? w.ToArray() : [];
            var decision = Header(HeaderNames.Decision);
            var worker = decision?.Split("worker=\"").ElementAtOrDefault(1)?.TrimEnd('"');
            return new EdgeResult(embeddings, frame.LayersDone, frame.LayerCount, worker, frame.Kind == FrameKind.Embeddings ? "cloud" : Backend,
                timings, decision, Header(HeaderNames.Predicted), warnings, fallback);
        }
    }

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
