using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;
using OpenAI.Models;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>
/// The official .NET OpenAI SDK (2.15.0) and Microsoft.Extensions.AI's IEmbeddingGenerator over it, with their default settings
/// (they ask for base64), against the real gateway and worker: the same vectors as a plain float request, our errors' messages.
/// </summary>
public sealed class OpenAiSdkTests(OpenAiCluster cluster) : IClassFixture<OpenAiCluster>
{
    private static readonly string[] Texts = ["Hello world", "SplitCompute answers OpenAI clients unchanged.", "a"];

    private OpenAIClientOptions Options(BodyRecorder? recorder = null) => new()
    {
        Endpoint = new Uri(cluster.GatewayUri, "/v1"),
        Transport = recorder is null ? null : new HttpClientPipelineTransport(new HttpClient(recorder)),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    };

    private EmbeddingClient Client(string model, BodyRecorder? recorder = null) => new(model, new ApiKeyCredential("unused"), Options(recorder));

    [Fact]
    public async Task The_SDK_with_default_settings_asks_for_base64_and_gets_the_float_answer()
    {
        var recorder = new BodyRecorder();
        var result = await Client(SplitCluster.Model, recorder).GenerateEmbeddingsAsync(Texts);
        Assert.Contains("\"encoding_format\":\"base64\"", Assert.Single(recorder.Bodies), StringComparison.Ordinal);
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, encoding_format = "float" });
        PlainEmbeddings.AssertClose(expected, [.. result.Value.Select(e => e.ToFloats().ToArray())]);
        Assert.Equal(SplitCluster.Model, result.Value.Model);
        Assert.True(result.Value.Usage.InputTokenCount > 0);
    }

    [Fact]
    public async Task Microsoft_Extensions_AI_embedding_generator_gets_the_float_answer()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Client(SplitCluster.Model).AsIEmbeddingGenerator();
        var generated = await generator.GenerateAsync(Texts);
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, [.. generated.Select(e => e.Vector.ToArray())]);

        var small = await generator.GenerateAsync(Texts, new Microsoft.Extensions.AI.EmbeddingGenerationOptions { Dimensions = 16 });
        Assert.All(small, e => Assert.Equal(16, e.Vector.Length));
    }

    [Fact]
    public async Task Dimensions_truncate_and_renormalise_as_a_Matryoshka_model_is_used()
    {
        var result = await Client(SplitCluster.Model).GenerateEmbeddingsAsync(Texts, new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 32 });
        var full = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        float[][] expected = [.. full.Select(e => e[..32]).Select(e => e.Select(v => (float)(v / PlainEmbeddings.Norm(e))).ToArray())];
        PlainEmbeddings.AssertClose(expected, [.. result.Value.Select(e => e.ToFloats().ToArray())]);
        Assert.All(result.Value, e => Assert.Equal(1, PlainEmbeddings.Norm(e.ToFloats().ToArray()), 5));
    }

    [Fact]
    public async Task Normalize_gives_unit_vectors_in_the_same_direction()
    {
        var full = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        var unit = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, normalize = true });
        PlainEmbeddings.AssertClose([.. full.Select(e => e.Select(v => (float)(v / PlainEmbeddings.Norm(e))).ToArray())], unit);
        Assert.All(full, e => Assert.True(PlainEmbeddings.Norm(e) > 1.5, "this GPT-2's embeddings are not unit length by default"));
    }

    [Fact]
    public async Task An_alias_any_case_and_name_at_revision_name_the_same_model()
    {
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        foreach (var name in new[] { OpenAiCluster.Alias, SplitCluster.Model.ToUpperInvariant(), $"{SplitCluster.Model}@{cluster.Revision}", $"{SplitCluster.Model.ToUpperInvariant()}@{cluster.Revision.ToUpperInvariant()}" })
        {
            var result = await Client(name).GenerateEmbeddingsAsync(Texts);
            PlainEmbeddings.AssertClose(expected, [.. result.Value.Select(e => e.ToFloats().ToArray())]);
        }
    }

    [Fact]
    public async Task An_unknown_model_shows_our_message_in_the_SDKs_exception()
    {
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => Client("no-such-model").GenerateEmbeddingsAsync(Texts));
        Assert.Equal(404, ex.Status);
        Assert.Contains("The model 'no-such-model' does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains(SplitCluster.Model, ex.Message, StringComparison.Ordinal);
        Assert.Contains("model_not_found", ex.Message, StringComparison.Ordinal);

        var atWrongRevision = await Assert.ThrowsAsync<ClientResultException>(() => Client($"{SplitCluster.Model}@nope").GenerateEmbeddingsAsync(Texts));
        Assert.Equal(404, atWrongRevision.Status);
    }

    [Fact]
    public async Task Unsupported_dimensions_show_the_supported_ones_in_the_SDKs_exception()
    {
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => Client(SplitCluster.Model).GenerateEmbeddingsAsync(Texts, new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 33 }));
        Assert.Equal(400, ex.Status);
        Assert.Contains("supports 64, 32, 16", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_over_long_input_shows_context_length_exceeded_in_the_SDKs_exception()
    {
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => Client(SplitCluster.Model).GenerateEmbeddingsAsync([string.Concat(Enumerable.Repeat("hello ", 1100))]));
        Assert.Equal(400, ex.Status);
        Assert.Contains("the model's limit (n_positions) is 1024", ex.Message, StringComparison.Ordinal);
        Assert.Contains("context_length_exceeded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_models_client_lists_and_retrieves_the_served_model()
    {
        var models = new OpenAIModelClient(new ApiKeyCredential("unused"), Options());
        var list = (await models.GetModelsAsync()).Value;
        Assert.Equal(SplitCluster.Model, Assert.Single(list).Id);
        var byAlias = (await models.GetModelAsync(OpenAiCluster.Alias)).Value;
        Assert.Equal(SplitCluster.Model, byAlias.Id);
        Assert.Equal("splitcompute", byAlias.OwnedBy);
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelAsync("no-such-model"));
        Assert.Equal(404, ex.Status);
        Assert.Contains("model_not_found", ex.Message, StringComparison.Ordinal);
    }
}
