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
/// A downloaded file that fails verification is fetched once more from scratch, then refused with <see cref="ShardIntegrityException"/>.
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
    public async Task<ShardLease> EnsureAsync(HttpClient http, Uri baseAddress, IReadOnlyList<ShardEntry> entries,
        IProgress<ShardDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(entries);
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
        var downloaded = 0L;
        using var slots = new SemaphoreSlim(_options.Parallelism);
        try
        {
            await Task.WhenAll(distinct.Select(async (entry, i) =>
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var (shared, bytes) = await EnsureOneAsync(downloader, new Uri(baseAddress, entry.Url), entry, counter, expected[i], cancellationToken).ConfigureAwait(false);
                    held[i] = shared;
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
            foreach (var shared in held) shared?.Dispose();
            throw;
        }

        var keep = distinct.Select(e => e.Sha256).ToHashSet(StringComparer.Ordinal);
        var evicted = ShardEviction.Run(_layout, _options.MaxBytes, keep, _verifier);
        var paths = entries.Select(e => _layout.ShardPath(e.Sha256)).ToList();
        return new ShardLease(paths, downloaded, evicted, [.. held.Select(h => h!)]);
    }

    /// <summary>One shard: use it if intact, else (alone, under its exclusive lock) download it; returns its shared lock.</summary>
    private async Task<(ShardFileLock Shared, long Downloaded)> EnsureOneAsync(ShardDownloader downloader, Uri url, ShardEntry entry,
        DownloadProgressCounter progress, bool counted, CancellationToken cancellationToken)
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
                if (await _verifier.IsIntactAsync(path, sha256, entry.Bytes, cancellationToken).ConfigureAwait(false))
                {
                    File.SetLastAccessTimeUtc(path, DateTime.UtcNow);  // the LRU clock (ShardEviction)
                    EdgeTelemetry.ShardResolved(hit: !deliveredHere);
                    if (counted && !deliveredHere)
                    {
                        progress.Advance(entry.Bytes);  // another process or request downloaded it while we waited
                        progress.Finished();
                    }
                    return (shared, downloaded);
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

    private static string Describe(ShardEntry entry) =>
        entry.Layer is { } layer ? $"layer {layer.ToString(CultureInfo.InvariantCulture)}" : "final_norm";
}
