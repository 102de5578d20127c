using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EdgeRuntime.Tests.Shards;

/// <summary>
/// The edge's shard cache counts each shard it resolves as a hit (used without downloading) or a miss (downloaded), read with a
/// MeterListener as an OpenTelemetry reader would (splitcompute.edge.shard_cache, tag outcome).
/// </summary>
public sealed class ShardCacheMetricsTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("splitcompute-cache-metrics-").FullName;
    private readonly HttpClient _http = new();
    private readonly MeasurementRecorder _recorder = new();
    private ShardServer _server = null!;

    public async Task InitializeAsync() => _server = await ShardServer.StartAsync();

    public async Task DisposeAsync()
    {
        _recorder.Dispose();
        _http.Dispose();
        await _server.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private ShardCache NewCache() => new(Path.Combine(_root, "cache"));

    private async Task EnsureAsync(ShardCache cache, params ShardEntry[] entries)
    {
        using var lease = await cache.EnsureAsync(_http, _server.Uri, entries);
    }

    private (int Hits, int Misses) Outcomes()
    {
        var shards = _recorder.Of("splitcompute.edge.shard_cache").ToList();
        Assert.All(shards, m => Assert.Equal(1, m.Value));
        return (shards.Count(m => m.Tag("outcome") == "hit"), shards.Count(m => m.Tag("outcome") == "miss"));
    }

    [Fact]
    public async Task Downloaded_shards_count_as_misses_and_cached_ones_as_hits()
    {
        var a = _server.Add(ShardServer.RandomBlob(50_000, seed: 40), 0);
        var b = _server.Add(ShardServer.RandomBlob(50_000, seed: 41), 1);
        var cache = NewCache();

        await EnsureAsync(cache, a, b);
        Assert.Equal((0, 2), Outcomes());

        await EnsureAsync(cache, a, b);
        Assert.Equal((2, 2), Outcomes());

        await EnsureAsync(NewCache(), a);  // another process over the same directory: verified on disk, not downloaded
        Assert.Equal((3, 2), Outcomes());
    }

    [Fact]
    public async Task A_cached_shard_that_no_longer_matches_its_hash_is_a_miss()
    {
        var entry = _server.Add(ShardServer.RandomBlob(50_000, seed: 42), 0);
        var cache = NewCache();
        await EnsureAsync(cache, entry);
        var path = Path.Combine(_root, "cache", entry.Sha256 + ".safetensors");
        await File.WriteAllBytesAsync(path, ShardServer.RandomBlob(50_000, seed: 43));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(1));  // as any later write would; the cache re-verifies on change

        await EnsureAsync(cache, entry);

        Assert.Equal((0, 2), Outcomes());
        Assert.Equal(2, _server.Gets(entry.Sha256));
    }
}
