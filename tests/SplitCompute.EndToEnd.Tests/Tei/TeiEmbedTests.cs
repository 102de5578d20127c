using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.Tei;

/// <summary>Text-embeddings-inference's POST /embed and GET /info on the real cluster, against /v1/embeddings' answers.</summary>
public sealed class TeiEmbedTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Hello world", "A second, longer sentence to embed."];

    [Fact]
    public async Task Embed_normalizes_by_default_and_equals_v1_embeddings_with_normalize()
    {
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, normalize = true });
        var batch = await EmbedAsync(new { inputs = Texts });
        PlainEmbeddings.AssertClose(expected, batch, 1e-6);
        Assert.All(batch, v => Assert.InRange(PlainEmbeddings.Norm(v), 1 - 1e-5, 1 + 1e-5));

        var single = await EmbedAsync(new { inputs = Texts[0], normalize = true });
        PlainEmbeddings.AssertClose([expected[0]], single, 1e-6);
    }

    [Fact]
    public async Task Embed_with_normalize_false_is_the_raw_embedding()
    {
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts, normalize = false });
        var raw = await EmbedAsync(new { inputs = Texts, normalize = false });
        PlainEmbeddings.AssertClose(expected, raw, 1e-6);
        Assert.All(raw, v => Assert.True(Math.Abs(PlainEmbeddings.Norm(v) - 1) > 1e-3, $"norm {PlainEmbeddings.Norm(v)}: not raw"));
    }

    [Fact]
    public async Task An_input_over_the_token_limit_is_413_Validation_and_truncate_cuts_it()
    {
        var tooLong = string.Concat(Enumerable.Repeat("hello ", 1_100));
        using var http = cluster.NewHttpClient();
        using var refused = await http.PostAsJsonAsync("/embed", new { inputs = new[] { "short", tooLong } });
        var error = await TeiErrorAsync(refused, HttpStatusCode.RequestEntityTooLarge, "Validation");
        Assert.Contains("1024", error, StringComparison.Ordinal);

        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = new[] { "short", tooLong }, truncate = true, normalize = true });
        var cut = await EmbedAsync(new { inputs = new[] { "short", tooLong }, truncate = true });
        PlainEmbeddings.AssertClose(expected, cut, 1e-6);
    }

    [Fact]
    public async Task Too_many_inputs_is_413_and_a_malformed_body_is_422_in_TEIs_shape()
    {
        using var http = cluster.NewHttpClient();
        using var tooMany = await http.PostAsJsonAsync("/embed", new { inputs = Enumerable.Range(0, 2049).Select(i => $"t{i}").ToArray() });
        Assert.Contains("2048", await TeiErrorAsync(tooMany, HttpStatusCode.RequestEntityTooLarge, "Validation"), StringComparison.Ordinal);

        foreach (var body in new[] { "{\"inputs\": ", "{\"input\": \"a\"}", "{\"inputs\": \"a\", \"normalize\": \"yes\"}", "{\"inputs\": [1.5]}" })
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("/embed", content);
            await TeiErrorAsync(response, HttpStatusCode.UnprocessableEntity, "Validation");
        }

        using var empty = await http.PostAsJsonAsync("/embed", new { inputs = Array.Empty<string>() });
        await TeiErrorAsync(empty, HttpStatusCode.BadRequest, "Empty");
    }

    [Fact]
    public async Task Info_describes_the_served_model()
    {
        using var http = cluster.NewHttpClient();
        using var info = JsonDocument.Parse(await http.GetStringAsync("/info"));
        var root = info.RootElement;
        Assert.Equal(SplitCluster.Model, root.GetProperty("model_id").GetString());
        Assert.Equal(cluster.Registry.Current.Workers[0].Revision, root.GetProperty("model_sha").GetString());
        Assert.Equal("float32", root.GetProperty("model_dtype").GetString());
        Assert.Equal("mean", root.GetProperty("model_type").GetProperty("embedding").GetProperty("pooling").GetString());
        Assert.Equal(1024, root.GetProperty("max_input_length").GetInt32());
        Assert.Equal(2048, root.GetProperty("max_client_batch_size").GetInt32());
        Assert.Equal(2048L * 1024, root.GetProperty("max_batch_tokens").GetInt64());
        Assert.True(root.GetProperty("max_concurrent_requests").GetInt32() >= 1);
        Assert.False(string.IsNullOrEmpty(root.GetProperty("version").GetString()));
    }

    private async Task<float[][]> EmbedAsync(object body)
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsJsonAsync("/embed", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        return [.. json.RootElement.EnumerateArray().Select(v => v.EnumerateArray().Select(x => x.GetSingle()).ToArray())];
    }

    /// <summary>Asserts TEI's error shape, <c>{"error": "...", "error_type": "..."}</c>, and returns the message.</summary>
    internal static async Task<string> TeiErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorType)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(errorType, json.RootElement.GetProperty("error_type").GetString());
        var message = json.RootElement.GetProperty("error").GetString();
        Assert.False(string.IsNullOrEmpty(message));
        return message!;
    }
}
