using SplitCompute.EdgeRuntime.Client;
using SplitCompute.EdgeRuntime.Shards;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests.EdgeLearning;

/// <summary>After a split at k the client fetches, in the background and verified by hash, the shards of [0, k): no request needs them yet.</summary>
public sealed class PrefetchTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Prefetch the layers below k."];

    [Fact]
    public async Task After_a_split_at_k_the_shards_below_k_appear_in_the_cache_verified()
    {
        var cache = cluster.NewCacheDirectory();
        using var edge = new EdgeClient(new EdgeOptions(cluster.GatewayUri, cache) { Gflops = 50, DownlinkMbps = 10_000, RttMs = 1, SendFeedback = false });
        var split = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(3));
        Assert.False(split.FellBack, split.FallbackReason);
        Assert.Equal(split.N - 3 + 1, split.Timings.DownloadedBytes > 0 ? split.N - 3 + 1 : -1);  // the request fetched its own tail

        await edge.PrefetchCompletion.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal((3, null), edge.PrefetchState);
        var held = new ShardCache(cache).HeldShards();
        Assert.Equal(split.N + 1, held.Count);  // every layer and the final norm
        foreach (var hash in held)
        {
            var path = Directory.GetFiles(cache, hash + "*", SearchOption.AllDirectories).Single(f => !f.EndsWith(".lock", StringComparison.Ordinal) && !f.EndsWith(".part", StringComparison.Ordinal));
            Assert.Equal(hash, ShardHash(path));  // what was prefetched is what the manifest names
        }

        // A split at 0 now downloads nothing: the prefetch got it all.
        var shallow = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(0));
        Assert.False(shallow.FellBack, shallow.FallbackReason);
        Assert.Equal(0, shallow.Timings.DownloadedBytes);
    }

    private static string ShardHash(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file));
    }
}
