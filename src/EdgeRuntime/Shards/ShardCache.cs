using System.Globalization;
using SplitCompute.EdgeRuntime.Telemetry;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Shards;

/// <summary>
/// The edge's disk cache of content-addressed shards (file name = SHA-256). Safe to share between processes:
/// <list type="bullet">
/// <item>a shard is used only after its SHA-256 is checked (<see cref="ShardVerifier"/>); a corrupt file is deleted and fetched again;</item>
/// <item>missing shards download in parallel (bounded), into partial files that a later attempt resumes with HTTP Range;</item>
/// <item>a download is renamed into place only when complete and verified, under the shard's exclusive lock, so another process
///   waiting for the same shard finds it complete and downloads nothing;</item>
/// <item>after each request, least recently used shards are evicted down to the size bound, never the ones the request holds.</item>
/// </list>
/// A downloaded file that fails verification is fetched once more from scratch, then refused with <see cref="ShardIntegrityException"/>;
/// a failed download or disk operation is an <see cref="EdgeFailureException"/> too.
/// </summary>
public sealed class ShardCache
{
    private readonly ShardCacheOptions _options;
    private readonly ShardCacheLayout _layout;
    private readonly ShardVerifier _verifier = new();

    public ShardCache(string directory)
        : this(new ShardCacheOptions(directory))
    {
    }

    public ShardCache(ShardCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _layout = new ShardCacheLayout(options.Directory);
    }

    public string Directory => _layout.Directory;

    public ShardCacheOptions Options => _options;

    /// <summary>Hashes of shards present in the cache (for the X-SplitCompute-Shards header); they are verified when used.</summary>
    public IReadOnlyList<string> HeldShards() => [.. _layout.Shards().Select(ShardCacheLayout.HashOf)];

    /// <summary>
    /// Ensures every entry is cached and verified, downloading what is missing, and returns a lease on them (paths in entry
    /// order). Dispose the lease when the shards are no longer read.
    /// </summary>
    public Task<ShardLease> EnsureAsync(HttpClient http, Uri baseAddress, IReadOnlyList<ShardEntry> entries,
        IProgress<ShardDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        EnsureCoreAsync(http, baseAddress, entries, progress, deferVerification: false, cancellationToken);

    /// <summary>
    /// As <see cref="EnsureAsync"/>, but a cached file this process has not verified yet is handed out while it is still being
    /// hashed: the lease's <see cref="ShardLease.Verified"/> completes once every such hash is done (downloads are verified as
    /// they arrive). The caller may load the files meanwhile (the upload then overlaps the hash) but must run nothing loaded
    /// from them unless Verified is true; when it is false, a cached file did not match its SHA-256, and
    /// <see cref="EnsureAsync"/> deletes and fetches it again.
    /// </summary>
    public Task<ShardLease> EnsureVerifyingAsync(HttpClient http, Uri baseAddress, IReadOnlyList<ShardEntry> entries,
        IProgress<ShardDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        EnsureCoreAsync(http, baseAddress, entries, progress, deferVerification: true, cancellationToken);

    /// <summary>The network and the disk are the cache's outside world: their failures leave it as <see cref="EdgeFailureException"/>.</summary>
    private async Task<ShardLease> EnsureCoreAsync(HttpClient http, Uri baseAddress, IReadOnlyList<ShardEntry> entries,
        IProgress<ShardDownloadProgress>? progress, bool deferVerification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(entries);
        try
        {
            return await FetchAllAsync(http, baseAddress, entries, progress, deferVerification, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UnauthorizedAccessException)
        {
            throw EdgeFailureException.From(ex);
        }
    }

    private async Task<ShardLease> FetchAllAsync(HttpClient http, Uri baseAddress, IReadOnlyList<ShardEntry> entries,
        IProgress<ShardDownloadProgress>? progress, bool deferVerification, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            if (!Model.Shards.ShardStore.IsValidHash(entry.Sha256))
                throw new ShardIntegrityException($"manifest entry for {Describe(entry)} has an invalid sha256 '{entry.Sha256}'");
        }
        var distinct = entries.DistinctBy(e => e.Sha256).ToList();
        var counter = new DownloadProgressCounter(progress);
        var expected = distinct.Select(e => !File.Exists(_layout.ShardPath(e.Sha256))).ToArray();
        for (var i = 0; i < distinct.Count; i++)
        {
            if (expected[i]) counter.Expect(distinct[i].Bytes);
        }

        var downloader = new ShardDownloader(http, _options.TransportAttempts);
        var held = new ShardFileLock?[distinct.Count];
        var checks = new Task<bool>?[distinct.Count];
        var downloaded = 0L;
        using var slots = new SemaphoreSlim(_options.Parallelism);
        try
        {
            await Task.WhenAll(distinct.Select(async (entry, i) =>
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var (shared, bytes, verified) = await EnsureOneAsync(downloader, new Uri(baseAddress, entry.Url), entry, counter, expected[i],
                        deferVerification, cancellationToken).ConfigureAwait(false);
                    held[i] = shared;
                    checks[i] = verified;
                    Interlocked.Add(ref downloaded, bytes);
                }
                finally
                {
                    slots.Release();
                }
            })).ConfigureAwait(false);
        }
        catch
        {
            await Quietly(checks).ConfigureAwait(false);  // no hash may still read a file once its lock is gone
            foreach (var shared in held) shared?.Dispose();
            throw;
        }

        var keep = distinct.Select(e => e.Sha256).ToHashSet(StringComparer.Ordinal);
        var evicted = ShardEviction.Run(_layout, _options.MaxBytes, keep, _verifier);
        var paths = entries.Select(e => _layout.ShardPath(e.Sha256)).ToList();
        return new ShardLease(paths, downloaded, evicted, [.. held.Select(h => h!)], AllTrue([.. checks.Select(c => c!)]));
    }

    private static async Task<bool> AllTrue(Task<bool>[] checks)
    {
        var results = await Task.WhenAll(checks).ConfigureAwait(false);
        return results.All(ok => ok);
    }

    private static async Task Quietly(Task<bool>?[] checks)
    {
        foreach (var check in checks)
        {
            if (check is null) continue;
            try
            {
                await check.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The request is failing already; its own exception is the one to report.
            }
        }
    }

    /// <summary>
    /// One shard: use it if intact, else (alone, under its exclusive lock) download it; returns its shared lock and whether it is
    /// verified (already true, or, with <paramref name="deferVerification"/>, a hash of a cached file still running).
    /// </summary>
    private async Task<(ShardFileLock Shared, long Downloaded, Task<bool> Verified)> EnsureOneAsync(ShardDownloader downloader, Uri url, ShardEntry entry,
        DownloadProgressCounter progress, bool counted, bool deferVerification, CancellationToken cancellationToken)
    {
        var sha256 = entry.Sha256;
        var path = _layout.ShardPath(sha256);
        var lockPath = _layout.LockPath(sha256);
        var downloaded = 0L;
        var refused = 0;
        var deliveredHere = false;
        while (true)
        {
            var shared = await ShardFileLock.AcquireAsync(lockPath, exclusive: false, _options.LockTimeout, cancellationToken).ConfigureAwait(false);
            try
            {
                if (deferVerification && !deliveredHere && _verifier.NeedsHash(path, sha256, entry.Bytes))
                {
                    File.SetLastAccessTimeUtc(path, DateTime.UtcNow);  // the LRU clock (ShardEviction)
                    return (shared, downloaded, VerifyCachedAsync(path, entry, progress, counted, cancellationToken));
                }
                if (await _verifier.IsIntactAsync(path, sha256, entry.Bytes, cancellationToken).ConfigureAwait(false))
                {
                    File.SetLastAccessTimeUtc(path, DateTime.UtcNow);  // the LRU clock (ShardEviction)
                    Resolved(entry, progress, counted, hit: !deliveredHere);
                    return (shared, downloaded, Verified);
                }
            }
            catch
            {
                shared.Dispose();
                throw;
            }
            shared.Dispose();

            using var exclusive = await ShardFileLock.AcquireAsync(lockPath, exclusive: true, _options.LockTimeout, cancellationToken).ConfigureAwait(false);
            if (await _verifier.IsIntactAsync(path, sha256, entry.Bytes, cancellationToken).ConfigureAwait(false)) continue;
            if (File.Exists(path))
            {
                File.Delete(path);  // corrupt on disk: never used, fetched again
                _verifier.Forget(sha256);
            }
            if (!counted)
            {
                progress.Expect(entry.Bytes);
                counted = true;
            }
            var part = _layout.PartPath(sha256);
            var outcome = await downloader.DownloadAsync(url, part, sha256, entry.Bytes, progress, cancellationToken).ConfigureAwait(false);
            downloaded += outcome.NetworkBytes;
            if (outcome.Sha256 == sha256 && outcome.FileBytes == entry.Bytes)
            {
                File.Move(part, path, overwrite: true);  // atomic: readers see no file or the whole verified file
                _verifier.Remember(path, sha256);
                progress.Finished();
                deliveredHere = true;
                continue;  // take the shared lock and hand it out
            }
            File.Delete(part);
            progress.Rewind(outcome.FileBytes);
            if (++refused == 2)
                throw new ShardIntegrityException(
                    $"shard {url}: expected sha256 {sha256} ({entry.Bytes} bytes), received {outcome.Sha256} ({outcome.FileBytes} bytes) twice; it was not used");
        }
    }

    private static readonly Task<bool> Verified = Task.FromResult(true);

    /// <summary>The deferred hash of a cached file; a mismatch is reported as false (the strict pass deletes and re-fetches it).</summary>
    private async Task<bool> VerifyCachedAsync(string path, ShardEntry entry, DownloadProgressCounter progress, bool counted, CancellationToken cancellationToken)
    {
        if (!await _verifier.IsIntactAsync(path, entry.Sha256, entry.Bytes, cancellationToken).ConfigureAwait(false)) return false;
        Resolved(entry, progress, counted, hit: true);
        return true;
    }

    private static void Resolved(ShardEntry entry, DownloadProgressCounter progress, bool counted, bool hit)
    {
        EdgeTelemetry.ShardResolved(hit);
        if (counted && hit)
        {
            progress.Advance(entry.Bytes);  // another process or request downloaded it while we waited
            progress.Finished();
        }
    }

    private static string Describe(ShardEntry entry) =>
        entry.Layer is { } layer ? $"layer {layer.ToString(CultureInfo.InvariantCulture)}" : "final_norm";
}
