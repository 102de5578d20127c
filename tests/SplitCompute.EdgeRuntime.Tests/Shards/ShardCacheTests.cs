using System.Collections.Concurrent;
using SplitCompute.EdgeRuntime;
using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Tests.Shards;

/// <summary>
/// The edge's shard cache against a real Kestrel shard server: resumable downloads, verification, parallelism, LRU eviction under
/// a size bound, and two caches (each with its own file locks, as two processes have) sharing one directory.
/// </summary>
public sealed class ShardCacheTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("splitcompute-cache-").FullName;
    private readonly HttpClient _http = new();
    private ShardServer _server = null!;

    public async Task InitializeAsync() => _server = await ShardServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string CacheDirectory => Path.Combine(_root, "cache");

    private ShardCache NewCache(long maxBytes = ShardCacheOptions.DefaultMaxBytes, int parallelism = 4, int transportAttempts = 3) =>
        new(new ShardCacheOptions(CacheDirectory) { MaxBytes = maxBytes, Parallelism = parallelism, TransportAttempts = transportAttempts });

    private Task<ShardLease> EnsureAsync(ShardCache cache, params ShardEntry[] entries) => cache.EnsureAsync(_http, _server.Uri, entries);

    [Fact]
    public async Task A_connection_cut_mid_shard_resumes_with_Range_where_it_stopped()
    {
        var blob = ShardServer.RandomBlob(300_000, seed: 1);
        var entry = _server.Add(blob, 0);
        _server.DropNextAfter(entry.Sha256, 100_000);

        using var lease = await EnsureAsync(NewCache(), entry);

        Assert.Equal(blob, await File.ReadAllBytesAsync(lease.Paths[0]));
        var requests = _server.Log.Where(l => l.Sha256 == entry.Sha256).ToList();
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.Equal(100_000, requests[0].BytesSent);
        var resumedAt = long.Parse(requests[1].Range!["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 1, 100_000);  // whatever arrived before the cut is kept
        Assert.Equal(blob.Length - resumedAt, requests[1].BytesSent);
        Assert.Equal(blob.Length, lease.DownloadedBytes);  // nothing received twice
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(CacheDirectory, ".partial")));
    }

    [Fact]
    public async Task A_partial_file_left_by_an_earlier_process_is_resumed_by_the_next()
    {
        var blob = ShardServer.RandomBlob(200_000, seed: 2);
        var entry = _server.Add(blob, 0);
        _server.DropNextAfter(entry.Sha256, 120_000);
        await Assert.ThrowsAnyAsync<Exception>(() => EnsureAsync(NewCache(transportAttempts: 1), entry));
        var part = new FileInfo(Path.Combine(CacheDirectory, ".partial", entry.Sha256 + ".part"));
        Assert.True(part.Exists, "the interrupted download left no partial file");
        Assert.InRange(part.Length, 1, 120_000);
        var kept = part.Length;

        using var lease = await EnsureAsync(NewCache(), entry);  // a new process over the same directory

        Assert.Equal(blob, await File.ReadAllBytesAsync(lease.Paths[0]));
        Assert.Equal($"bytes={kept}-", _server.Log.Last().Range);
        Assert.Equal(blob.Length - kept, lease.DownloadedBytes);
    }

    [Fact]
    public async Task A_shard_the_server_does_not_have_is_an_edge_failure_naming_the_refused_request()
    {
        var served = _server.Add(ShardServer.RandomBlob(10_000, seed: 70), 0);
        var gone = new string('0', 64);
        var missing = served with { Sha256 = gone, Url = $"/v1/shards/{gone}" };

        var failure = await Assert.ThrowsAsync<EdgeFailureException>(() => EnsureAsync(NewCache(), missing));

        Assert.Equal(nameof(HttpRequestException), failure.Kind);
        Assert.Contains($"/v1/shards/{gone}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("404", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cache_file_corrupted_on_disk_is_deleted_and_fetched_again_before_use()
    {
        var blob = ShardServer.RandomBlob(100_000, seed: 3);
        var entry = _server.Add(blob, 0);
        var cache = NewCache();
        string path;
        using (var first = await EnsureAsync(cache, entry)) path = first.Paths[0];

        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = 5_000;
            file.Write(new byte[16]);
        }
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(1));  // as any later write would; the cache re-verifies on change

        using (var again = await EnsureAsync(cache, entry))  // the same process: it notices the change
        {
            Assert.Equal(blob.Length, again.DownloadedBytes);
            Assert.Equal(blob, await File.ReadAllBytesAsync(again.Paths[0]));
        }
        Assert.Equal(2, _server.Gets(entry.Sha256));
        using (var third = await EnsureAsync(NewCache(), entry))  // a new process hashes it once and finds it intact
        {
            Assert.Equal(0, third.DownloadedBytes);
        }
        Assert.Equal(2, _server.Gets(entry.Sha256));
    }

    [Fact]
    public async Task Verifying_hands_out_a_cached_file_while_hashing_it_and_a_mismatch_is_false_then_fetched_again_by_the_strict_pass()
    {
        var blob = ShardServer.RandomBlob(200_000, seed: 31);
        var entry = _server.Add(blob, 0);
        using (var downloaded = await NewCache().EnsureVerifyingAsync(_http, _server.Uri, [entry]))
        {
            Assert.True(downloaded.Verified.IsCompletedSuccessfully);  // verified as it arrived
            Assert.True(await downloaded.Verified);
        }
        string path;
        using (var intact = await NewCache().EnsureVerifyingAsync(_http, _server.Uri, [entry]))  // a new process: hashed while handed out
        {
            Assert.Equal(0, intact.DownloadedBytes);
            Assert.True(await intact.Verified);
            path = intact.Paths[0];
        }

        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = 100_000;
            file.Write(new byte[16]);  // same length: only the hash can tell
        }
        var cache = NewCache();
        using (var rotten = await cache.EnsureVerifyingAsync(_http, _server.Uri, [entry]))
        {
            Assert.Equal(0, rotten.DownloadedBytes);
            Assert.False(await rotten.Verified);
        }
        Assert.Equal(1, _server.Gets(entry.Sha256));
        using (var strict = await cache.EnsureAsync(_http, _server.Uri, [entry]))
        {
            Assert.Equal(blob.Length, strict.DownloadedBytes);
            Assert.Equal(blob, await File.ReadAllBytesAsync(strict.Paths[0]));
        }
        Assert.Equal(2, _server.Gets(entry.Sha256));
    }

    [Fact]
    public async Task Missing_shards_download_in_parallel_up_to_the_bound()
    {
        _server.ChunkDelaySeconds = 0.05;
        // 8 chunks of 50 ms each: the first downloads are still running when the third starts, even on a loaded machine.
        var entries = Enumerable.Range(0, 6).Select(i => _server.Add(ShardServer.RandomBlob(128 * 1024, seed: 10 + i), i)).ToArray();

        using var lease = await EnsureAsync(NewCache(parallelism: 3), entries);

        Assert.Equal(3, _server.MaxConcurrentRequests);
        Assert.Equal(entries.Sum(e => e.Bytes), lease.DownloadedBytes);
        Assert.Equal(entries.Select(e => Path.Combine(CacheDirectory, e.Sha256 + ".safetensors")), lease.Paths);
    }

    [Fact]
    public async Task The_least_recently_used_shard_is_evicted_first_and_never_one_the_request_needs()
    {
        var a = _server.Add(ShardServer.RandomBlob(100_000, seed: 20), 0);
        var b = _server.Add(ShardServer.RandomBlob(100_000, seed: 21), 1);
        var c = _server.Add(ShardServer.RandomBlob(100_000, seed: 22), 2);
        var cache = NewCache(maxBytes: 250_000);
        foreach (var use in new[] { a, b, a })  // a is used again after b: b is now the least recently used
        {
            using var lease = await EnsureAsync(cache, use);
            Assert.Empty(lease.Evicted);
            await Task.Delay(20);
        }

        using (var lease = await EnsureAsync(cache, c))
        {
            Assert.Equal([b.Sha256], lease.Evicted);
        }
        Assert.Equal(new[] { a.Sha256, c.Sha256 }.Order(), cache.HeldShards().Order());

        // One request needing more than the bound: all of its shards stay, the bound yields to the request.
        using (var lease = await EnsureAsync(cache, a, b, c))
        {
            Assert.Empty(lease.Evicted);
            Assert.All(lease.Paths, p => Assert.True(File.Exists(p)));
        }
        Assert.Equal(3, cache.HeldShards().Count);
    }

    [Fact]
    public async Task A_shard_another_process_is_using_is_not_evicted()
    {
        var a = _server.Add(ShardServer.RandomBlob(100_000, seed: 30), 0);
        var b = _server.Add(ShardServer.RandomBlob(100_000, seed: 31), 1);
        using var otherProcess = await EnsureAsync(NewCache(), a);  // still reading a: holds its shared lock
        await Task.Delay(20);

        using var lease = await EnsureAsync(NewCache(maxBytes: 150_000), b);

        Assert.Empty(lease.Evicted);
        Assert.True(File.Exists(otherProcess.Paths[0]));
        otherProcess.Dispose();
        using var later = await EnsureAsync(NewCache(maxBytes: 150_000), b);
        Assert.Equal([a.Sha256], later.Evicted);
    }

    [Fact]
    public async Task The_size_bound_holds_after_every_request()
    {
        const long bound = 120_000;
        var cache = NewCache(maxBytes: bound);
        for (var i = 0; i < 10; i++)
        {
            using var lease = await EnsureAsync(cache, _server.Add(ShardServer.RandomBlob(50_000, seed: 40 + i), i));
            var held = new DirectoryInfo(CacheDirectory).EnumerateFiles("*.safetensors").Sum(f => f.Length);
            Assert.True(held <= bound, $"after request {i} the cache holds {held} bytes, over its bound of {bound}");
            Assert.True(File.Exists(lease.Paths[0]));
        }
        Assert.Equal(2, cache.HeldShards().Count);
    }

    [Fact]
    public async Task Two_caches_racing_on_one_directory_download_each_shard_once()
    {
        _server.ChunkDelaySeconds = 0.02;  // ~16 chunks: both caches are certainly inside the same download
        var entries = new[] { _server.Add(ShardServer.RandomBlob(256 * 1024, seed: 50), 0), _server.Add(ShardServer.RandomBlob(128 * 1024, seed: 51), 1) };

        var leases = await Task.WhenAll(EnsureAsync(NewCache(), entries), EnsureAsync(NewCache(), entries));
        try
        {
            Assert.All(entries, e => Assert.Equal(1, _server.Gets(e.Sha256)));
            Assert.Equal(entries.Sum(e => e.Bytes), leases.Sum(l => l.DownloadedBytes));
            Assert.Equal(leases[0].Paths, leases[1].Paths);
            for (var i = 0; i < entries.Length; i++)
                Assert.Equal(entries[i].Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(leases[0].Paths[i]))));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(CacheDirectory, ".partial")));
        }
        finally
        {
            foreach (var lease in leases) lease.Dispose();
        }
    }

    [Fact]
    public async Task Progress_counts_the_missing_shards_bytes_up_to_their_total()
    {
        var cached = _server.Add(ShardServer.RandomBlob(70_000, seed: 60), 0);
        var missing = new[] { _server.Add(ShardServer.RandomBlob(90_000, seed: 61), 1), _server.Add(ShardServer.RandomBlob(110_000, seed: 62), 2) };
        var cache = NewCache();
        using (await EnsureAsync(cache, cached))
        {
        }
        var reports = new Recorder();

        using var lease = await cache.EnsureAsync(_http, _server.Uri, [cached, .. missing], reports);

        var last = reports.Items.MaxBy(r => (r.ShardsDone, r.BytesDone));
        Assert.Equal(new ShardDownloadProgress(200_000, 200_000, 2, 2), last);
        Assert.All(reports.Items, r => Assert.InRange(r.BytesDone, 0, r.BytesTotal));
        Assert.True(reports.Items.Count > 4, $"only {reports.Items.Count} progress reports");
    }

    /// <summary>Records reports synchronously (Progress&lt;T&gt; would post them to the thread pool, after the call returns).</summary>
    private sealed class Recorder : IProgress<ShardDownloadProgress>
    {
        public ConcurrentQueue<ShardDownloadProgress> Queue { get; } = new();

        public List<ShardDownloadProgress> Items => [.. Queue];

        public void Report(ShardDownloadProgress value) => Queue.Enqueue(value);
    }
}
