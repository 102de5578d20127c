using System.Diagnostics;
using SplitCompute.EdgeRuntime.Integrity;
using SplitCompute.EdgeRuntime.Link;
using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Prefetch;

/// <summary>
/// Downloads, in the background, the shards a client is likely to need next (<see cref="PrefetchPlan"/>), one shard at a time
/// and only while no request of this client is downloading (a request's own downloads always go first: the prefetch waits
/// for them, and a request that starts while a prefetch shard is in flight waits for that one shard at most). Every shard is
/// verified by hash like any download. Each shard of at least 256 KiB is a downlink sample. Cancelled on Dispose.
/// </summary>
public sealed class ShardPrefetcher : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _gateway;
    private readonly ShardCache _cache;
    private readonly ManifestVerifier? _verifier;
    private readonly LinkEstimator? _link;
    private readonly CancellationTokenSource _stop = new();
    private readonly RequestDownloads _requests;
    private readonly Lock _gate = new();
    private Task _running = Task.CompletedTask;
    private int _generation;

    /// <param name="requestDownloads">Marked by each request while it downloads its own shards; the prefetch starts a shard only while none does.</param>
    public ShardPrefetcher(HttpClient http, Uri gateway, ShardCache cache, RequestDownloads requestDownloads, ManifestVerifier? verifier = null, LinkEstimator? link = null)
    {
        _http = http;
        _gateway = gateway;
        _cache = cache;
        _requests = requestDownloads;
        _verifier = verifier;
        _link = link;
    }

    /// <summary>Shards fetched by prefetch since this object was made.</summary>
    public int Fetched => Volatile.Read(ref _fetched);

    private int _fetched;

    /// <summary>The last problem a prefetch met (it never fails a request), or null.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>The prefetch started by the last split (completes when it is done, failed or cancelled; never throws).</summary>
    public Task Current
    {
        get
        {
            lock (_gate) return _running;
        }
    }

    /// <summary>Starts prefetching after a split at k of <paramref name="frameManifest"/>'s revision; a newer split supersedes an older prefetch.</summary>
    public Task After(ShardManifest frameManifest, int k)
    {
        ArgumentNullException.ThrowIfNull(frameManifest);
        lock (_gate)
        {
            if (_stop.IsCancellationRequested || k <= 0) return _running;
            var generation = ++_generation;
            var previous = _running;
            _running = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);  // one at a time
                await RunAsync(frameManifest, k, generation).ConfigureAwait(false);
            });
            return _running;
        }
    }

    private async Task RunAsync(ShardManifest frameManifest, int k, int generation)
    {
        var token = _stop.Token;
        try
        {
            var full = await FullManifestAsync(frameManifest, token).ConfigureAwait(false);
            if (_verifier is not null) ManifestVerifier.Check(frameManifest, full);
            var held = _cache.HeldShards().ToHashSet(StringComparer.Ordinal);
            var tailBytes = frameManifest.TailEntries.Sum(s => s.Bytes);
            var budget = _cache.Options.MaxBytes - tailBytes - CachedBytesOutside(full, k, held);
            foreach (var entry in PrefetchPlan.Next(full, k, held.Contains, budget))
            {
                if (Volatile.Read(ref _generation) != generation) return;  // a newer split knows better
                await _requests.WaitIdleAsync(token).ConfigureAwait(false);  // never beside a request's own downloads
                var clock = Stopwatch.StartNew();
                using var lease = await _cache.EnsureAsync(_http, _gateway, [entry], progress: null, token).ConfigureAwait(false);
                if (lease.DownloadedBytes > 0)
                {
                    Interlocked.Increment(ref _fetched);
                    if (!_requests.Active) _link?.ObserveTransfer(lease.DownloadedBytes, clock.Elapsed.TotalMilliseconds);  // alone on the link
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed: the client is going away.
        }
        catch (Exception ex) when (ex is EdgeFailureException or HttpRequestException or IOException or ProtocolException or OperationCanceledException
                                       or UnauthorizedAccessException)
        {
            LastProblem = $"prefetch after k={k} of {frameManifest.Model}@{frameManifest.Revision} stopped: {(ex as EdgeFailureException)?.Kind ?? ex.GetType().Name}: {ex.Message}";
        }
    }

    /// <summary>Bytes of the revision's cached shards outside [k, N), already counted against the cache bound.</summary>
    private static long CachedBytesOutside(ShardManifest full, int k, HashSet<string> held) =>
        full.Shards.Where(s => s.Layer < k && held.Contains(s.Sha256)).Sum(s => s.Bytes);

    private async Task<ShardManifest> FullManifestAsync(ShardManifest frameManifest, CancellationToken token)
    {
        if (_verifier is not null) return await _verifier.FullManifestAsync(_http, frameManifest.Model, frameManifest.Revision, token).ConfigureAwait(false);
        // Without a pinned key the signature cannot be checked; the shards are still verified by their hashes, exactly as the
        // frame's own (equally unsigned) manifest is.
        var url = $"/v1/manifests/{Uri.EscapeDataString(frameManifest.Model)}/{Uri.EscapeDataString(frameManifest.Revision)}";
        using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {url} answered {(int)response.StatusCode} {response.StatusCode}");
        if (response.Content.Headers.ContentLength > SignedManifest.MaxBytes)
            throw new HttpRequestException($"GET {url}: {response.Content.Headers.ContentLength} bytes is over the {SignedManifest.MaxBytes}-byte limit");
        var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        var manifest = ShardManifest.FromJson(SignedManifest.FromJson(body).Payload);
        if (manifest.Model != frameManifest.Model || manifest.Revision != frameManifest.Revision || manifest.NLayer != frameManifest.NLayer)
            throw new ProtocolException($"GET {url} returned the manifest of {manifest.Model}@{manifest.Revision} ({manifest.NLayer} layers)", "manifest");
        return manifest;
    }

    public void Dispose()
    {
        Task running;
        lock (_gate)
        {
            _stop.Cancel();
            running = _running;
        }
        try
        {
            running.Wait(TimeSpan.FromSeconds(10));  // a download in flight ends at its next read
        }
        catch (AggregateException)
        {
            // Cancelled or failed; nothing to report on the way out.
        }
        _stop.Dispose();
    }
}
