using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>
/// The edge runtime with OpenAI's <c>dimensions</c> and TEI's <c>normalize</c>: at a split it finishes the pooled embeddings as
/// the worker says, so its answer equals the cloud's JSON for the same request; what the model cannot do is refused up front.
/// </summary>
public sealed class EdgeShapingTests(OpenAiCluster cluster) : IClassFixture<OpenAiCluster>
{
    private static readonly string[] Texts = ["Hello world", "The edge finishes what the cloud began."];

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]  // k = N: the cloud's frame of pooled embeddings, finished by the edge as well
    public async Task A_split_with_dimensions_or_normalize_equals_the_clouds_json(int k)
    {
        using var edge = cluster.NewEdgeClient();
        var cut = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(k), new EdgeEmbedding(Dimensions: 32));
        Assert.Equal(k, cut.K);
        PlainEmbeddings.AssertClose(await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, dimensions = 32 }), cut.Embeddings, 1e-4);
        Assert.All(cut.Embeddings, e => Assert.Equal(1, PlainEmbeddings.Norm(e), 1e-5));

        var unit = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(k), new EdgeEmbedding(Normalize: true));
        PlainEmbeddings.AssertClose(await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, normalize = true }), unit.Embeddings, 1e-4);

        var plain = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(k));
        PlainEmbeddings.AssertClose(await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts }), plain.Embeddings, 1e-4);
        Assert.Equal(64, plain.Embeddings[0].Length);
    }

    [Fact]
    public async Task Dimensions_the_model_does_not_declare_are_refused_before_anything_runs()
    {
        using var edge = cluster.NewEdgeClient();
        var ex = await Assert.ThrowsAsync<EdgeRequestException>(() => edge.EmbedTextsAsync(Texts, SplitPreference.Force(2), new EdgeEmbedding(Dimensions: 33)));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, ex.Status);
        Assert.Contains("supports 64, 32, 16", ex.Message, StringComparison.Ordinal);
    }
}
