using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests.EdgeLearning;

/// <summary>
/// On real processes (gateway, worker, Redis): the edge keeps the bound weights of [k_loaded, N), runs a later tail at
/// k &gt;= k_loaded on them without loading (and says so in its feedback and in X-SplitCompute-Resident), and rebinds whole at k &lt; k_loaded.
/// </summary>
public sealed class TailResidencyTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Resident weights need no loading.", "A second, somewhat longer sequence of words."];

    [Fact]
    public async Task A_tail_at_a_deeper_k_runs_on_resident_weights_and_a_shallower_one_reloads_whole()
    {
        using var edge = cluster.NewEdgeClient();
        var cloud = await edge.EmbedTextsAsync(Texts, SplitPreference.None);

        var first = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(1));
        Assert.False(first.FellBack, first.FallbackReason);
        Assert.True(first.Timings.LoadedBytes > 0, $"{first.Timings}");
        Assert.InRange(first.Timings.LoadMs, double.Epsilon, first.Timings.EdgeMs);
        Assert.Equal("accepted", first.Feedback);

        var deeper = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(first.N - 1));
        Assert.False(deeper.FellBack, deeper.FallbackReason);
        Assert.Equal(0, deeper.Timings.LoadedBytes);  // [N-1, N) is inside the resident [1, N)
        Assert.Equal(0, deeper.Timings.LoadMs);
        Assert.Equal("accepted", deeper.Feedback);
        EmbeddingAssert.Close(cloud.Embeddings, deeper.Embeddings);

        var shallower = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(0));
        Assert.False(shallower.FellBack, shallower.FallbackReason);
        Assert.True(shallower.Timings.LoadedBytes > first.Timings.LoadedBytes, $"{shallower.Timings} vs {first.Timings}");  // [0, N) whole
        EmbeddingAssert.Close(cloud.Embeddings, shallower.Embeddings);

        Assert.True(cloud.WarmupMs > 0);  // only a client's first request carries its warm-up
        Assert.Equal(0, first.WarmupMs);
        Assert.Equal(0, shallower.WarmupMs);
    }

    [Fact]
    public async Task The_client_advertises_the_shards_it_holds_resident()
    {
        var recorder = new RecordingHandler();
        using var edge = cluster.NewEdgeClient(handler: recorder);
        await edge.EmbedTextsAsync(Texts, SplitPreference.Force(1));
        await edge.EmbedTextsAsync(Texts, SplitPreference.Force(2));

        var embeddings = recorder.Requests.Where(r => r.Path == "/v1/embeddings").ToList();
        Assert.DoesNotContain(Protocol.HeaderNames.Resident, embeddings[0].Headers.Keys);
        var resident = embeddings[1].Headers[Protocol.HeaderNames.Resident].Split(',');
        Assert.Equal(2, embeddings.Count);
        Assert.True(resident.Length >= 2, string.Join(",", resident));  // layers [1, N) and the final norm
        Assert.All(resident, p => Assert.Equal(16, p.Length));
    }
}
