using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Model.Encoders;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Testing;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>A deployment serving a seeded BERT-family sentence encoder (CLS pooling, a default "query: " prompt, normalised).</summary>
public sealed class EncoderCluster : SplitCluster
{
    public static GoldenEncoders.SentenceCase Case { get; } = GoldenEncoders.Sentences.Single(s => s.Name == "odd-cls-normalised");

    protected override void WriteModel(string directory) => GoldenEncoders.Write(directory, Case);
}

/// <summary>
/// Issue 22: a sentence encoder served through the real gateway and worker: OpenAI JSON equal to the model run whole
/// (sentence-transformers' pipeline: prompt, WordPiece, encoder, CLS pooling, normalisation), /v1/models telling its pooling,
/// splits at every k through the .NET edge equal to the cloud's answer, and refusals that name the model's own limits.
/// </summary>
public sealed class EncoderServingTests(EncoderCluster cluster) : IClassFixture<EncoderCluster>
{
    private static readonly string[] Texts = ["Hello, world!", "Naïve café résumé.", "北京 is a city"];

    [Fact]
    public async Task OpenAI_json_equals_the_model_run_whole_on_the_cpu()
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsync("/v1/embeddings", Requests.Texts(Texts));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var served = json.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        var expected = reference.Encode(Texts);
        Assert.Equal(Texts.Length, served.Length);
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(96, served[i].Length);
            Assert.Equal(1.0, Math.Sqrt(served[i].Sum(v => (double)v * v)), 4);  // the Normalize module
            var max = served[i].Zip(expected[i]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max <= 1e-5, $"text {i}: max |served - whole| {max:E3}");
        }
        // Usage counts the encoder's own tokens: [CLS] query : ... [SEP], not the gateway's GPT-2 count.
        var tokens = Texts.Sum(t => reference.Tokenizer.Encode("query: " + t).Ids.Length);
        Assert.Equal(tokens, json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.StartsWith("k=2; n=2", response.Headers.GetValues(HeaderNames.Decision).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_requests_batched_with_padding_each_equal_their_own_whole_run()
    {
        // Different lengths in one pass: bidirectional attention must never see another request's rows or the padding.
        var inputs = Enumerable.Range(1, 16).Select(i => string.Join(' ', Enumerable.Repeat($"word{i}", i * 3))).ToArray();
        using var http = cluster.NewHttpClient();
        var answers = await Task.WhenAll(inputs.Select(async text =>
        {
            using var response = await http.PostAsync("/v1/embeddings", Requests.Texts(text));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        }));
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        for (var i = 0; i < inputs.Length; i++)
        {
            var alone = reference.Encode([inputs[i]])[0];
            var max = answers[i].Zip(alone).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max <= 1e-5, $"input {i}: max |batched - alone| {max:E3}");
        }
    }

    [Fact]
    public async Task Models_lists_the_encoders_pooling_family_and_limit()
    {
        using var http = cluster.NewHttpClient();
        using var json = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        var model = json.RootElement.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == SplitCluster.Model);
        Assert.Equal("cls", model.GetProperty("pooling").GetString());
        Assert.Equal("bert", model.GetProperty("family").GetString());
        Assert.True(model.GetProperty("normalize").GetBoolean());
        Assert.Equal(512, model.GetProperty("max_input_tokens").GetInt32());
        Assert.Equal(96, model.GetProperty("width").GetInt32());
        using var info = JsonDocument.Parse(await http.GetStringAsync("/info"));  // TEI's view of the same model
        Assert.Equal("cls", info.RootElement.GetProperty("model_type").GetProperty("embedding").GetProperty("pooling").GetString());
        Assert.Equal(512, info.RootElement.GetProperty("max_input_length").GetInt32());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_split_at_every_k_equals_the_model_run_whole(int k)
    {
        using var edge = cluster.NewEdgeClient(gflops: 5_000, cache: cluster.NewCacheDirectory());
        var result = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(k));
        Assert.Equal(k, result.K);
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        var expected = reference.Encode(Texts);
        var max = result.Embeddings.SelectMany(e => e).Zip(expected.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-4, $"k = {k}: max |edge answer - whole| {max:E3}");
    }

    [Fact]
    public async Task The_edge_splits_with_a_named_prompt()
    {
        using var edge = cluster.NewEdgeClient(gflops: 5_000, cache: cluster.NewCacheDirectory());
        var result = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(1), new EdgeRuntime.Client.EdgeEmbedding(PromptName: "passage"));
        Assert.Equal(1, result.K);
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        var max = result.Embeddings.SelectMany(e => e).Zip(reference.Encode(Texts, "passage").SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= 1e-4, $"max |edge answer - whole with the passage prompt| {max:E3}");
    }

    [Fact]
    public async Task The_manifest_names_the_family_and_carries_no_final_norm()
    {
        var profile = cluster.Registry.Current.Models[SplitCluster.Model];
        Assert.Null(profile.FinalNormHash);
        Assert.Equal(2, profile.LayerShardHashes.Count);
        var host = cluster.Workers[0].Services.GetRequiredService<ModelHost>();
        Assert.Equal(("bert", null), (host.Manifest!.Family, host.Manifest.FinalNorm));
        Assert.All(host.Manifest.Shards, s => Assert.StartsWith($"encoder.layer.{s.Layer}.", s.Tensors[0], StringComparison.Ordinal));
        using var edge = cluster.NewEdgeClient(gflops: 5_000);
        var auto = await edge.EmbedTextsAsync(Texts, SplitPreference.Auto);  // whatever the planner picks, the same vectors
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        Assert.True(auto.Embeddings.SelectMany(e => e).Zip(reference.Encode(Texts).SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4);
    }

    [Fact]
    public async Task A_request_may_name_one_of_the_models_prompts_in_OpenAI_and_TEI_bodies()
    {
        using var http = cluster.NewHttpClient();
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        var expected = reference.Encode(Texts, "passage");
        Assert.NotEqual(expected[0], reference.Encode(Texts)[0]);  // the default prompt ("query: ") gives another vector

        using var openAi = await http.PostAsync("/v1/embeddings", JsonContent.Create(new { model = SplitCluster.Model, input = Texts, prompt_name = "passage" }));
        Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);
        using var json = JsonDocument.Parse(await openAi.Content.ReadAsStringAsync());
        var served = json.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        Assert.True(served.SelectMany(e => e).Zip(expected.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5);

        using var tei = await http.PostAsync("/embed", JsonContent.Create(new { inputs = Texts, prompt_name = "passage" }));
        Assert.Equal(HttpStatusCode.OK, tei.StatusCode);
        var teiVectors = JsonSerializer.Deserialize<float[][]>(await tei.Content.ReadAsStringAsync())!;
        Assert.True(teiVectors.SelectMany(e => e).Zip(expected.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5);

        using var unknown = await http.PostAsync("/v1/embeddings", JsonContent.Create(new { model = SplitCluster.Model, input = Texts, prompt_name = "document" }));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        using var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Contains("no prompt \"document\" (it has: passage, query)", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("prompt_name", error.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task An_input_over_max_seq_length_is_refused_by_the_encoders_count_unless_truncated()
    {
        var text = string.Join(' ', Enumerable.Repeat("word", 600));  // ~600 WordPiece tokens, 600 GPT-2 ones too
        using var http = cluster.NewHttpClient();
        using var refused = await http.PostAsync("/v1/embeddings", Requests.Texts(text));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("max_seq_length", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var cut = await http.PostAsync("/v1/embeddings", JsonContent.Create(new { model = SplitCluster.Model, input = new[] { text }, truncate = true }));
        Assert.Equal(HttpStatusCode.OK, cut.StatusCode);
        using var json = JsonDocument.Parse(await cut.Content.ReadAsStringAsync());
        var served = json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        using var reference = CpuSentenceEncoder.Load(cluster.ModelDirectory);
        var expected = reference.Encode([text])[0];  // sentence-transformers truncates to max_seq_length, keeping [SEP]
        Assert.True(served.Zip(expected).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5);
    }
}
