using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SplitCompute.Model.Encoders;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>An encoder whose default prompt ("query: ") is left out of pooling (1_Pooling's include_prompt false), mean pooling.</summary>
public sealed class PromptPoolingCluster : SplitCluster
{
    protected override void WriteModel(string directory) =>
        RandomEncoderWriter.Write(directory, EncoderPreset.ByName("bert-tiny"), seed: 31,
            new EncoderPrompts(new Dictionary<string, string> { ["query"] = "query: ", ["passage"] = "passage: " }, "query", IncludePrompt: false));
}

/// <summary>
/// Issue 22: pooling without the prompt's tokens, as sentence-transformers does for such models, equal to the model run whole:
/// on the cloud path, split (the frame's pool_from tells the edge where pooling starts), and for a client that does not say it
/// honours pool_from (the worker declines the split and answers whole).
/// </summary>
public sealed class PromptPoolingTests(PromptPoolingCluster cluster) : IClassFixture<PromptPoolingCluster>
{
    private static readonly string[] Texts = ["Hello, world!", "a longer sentence about layers and splits"];

    [Theory]
    [InlineData(null)]
    [InlineData("passage")]
    public async Task The_prompt_is_left_out_of_pooling(string? promptName)
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsync("/v1/embeddings", JsonContent.Create(new { model = SplitCluster.Model, input = Texts, prompt_name = promptName }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var served = json.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();

        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        Assert.Equal(3, reference.PoolingSkips(promptName));  // [CLS], "query" or "passage", ":"
        var expected = reference.Encode(Texts, promptName);
        var max = served.SelectMany(e => e).Zip(expected.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-5, $"max |served - whole| {max:E3}");

        // Pooling the prompt in gives another vector: the exclusion is what makes them equal.
        var ids = Texts.Select(t => reference.Tokenize(t, promptName)).ToArray();
        var hidden = reference.Backend.Embed(ids);
        reference.Backend.RunLayers(hidden, 0, reference.Backend.Config.NumLayers);
        var withPrompt = reference.Backend.Pool(hidden, SentencePooling.Mean, normalize: true);
        Assert.True(served[0].Zip(withPrompt[0]).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Fact]
    public async Task A_split_leaves_the_prompt_out_on_the_edge_through_the_frames_pool_from()
    {
        using var edge = cluster.NewEdgeClient(gflops: 5_000, cache: cluster.NewCacheDirectory());
        var result = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(1));
        Assert.Equal(1, result.K);  // the edge ran block 1 and pooled from position 3
        Assert.DoesNotContain(result.Warnings, w => w.Contains("split declined", StringComparison.Ordinal));
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        var max = result.Embeddings.SelectMany(e => e).Zip(reference.Encode(Texts).SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-4, $"max |edge answer - whole| {max:E3}");
    }

    [Fact]
    public async Task A_client_that_does_not_accept_pool_from_gets_the_split_declined_and_the_whole_answer()
    {
        // An older edge: its Accept names the frame type without pool-from=1, so it would pool the prompt in.
        using var edge = cluster.NewEdgeClient(gflops: 5_000, cache: cluster.NewCacheDirectory(), handler: new OlderAcceptHandler());
        var result = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(1));
        Assert.Equal(2, result.K);  // the worker ran both layers, and said why
        Assert.Contains(result.Warnings, w => w.Contains("split declined: the model pools without its prompt's tokens", StringComparison.Ordinal));
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        var max = result.Embeddings.SelectMany(e => e).Zip(reference.Encode(Texts).SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-4, $"max |edge answer - whole| {max:E3}");
    }

    /// <summary>Drops the pool-from parameter from Accept, as a client written before it existed sends it.</summary>
    private sealed class OlderAcceptHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            foreach (var accept in request.Headers.Accept) accept.Parameters.Clear();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
