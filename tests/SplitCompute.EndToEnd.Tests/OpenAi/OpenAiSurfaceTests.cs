using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>The OpenAI surface by raw HTTP on the real cluster: /v1/models' fields, limits, content type, truncate, error shape.</summary>
public sealed class OpenAiSurfaceTests(OpenAiCluster cluster) : IClassFixture<OpenAiCluster>
{
    [Fact]
    public async Task Models_lists_our_fields_and_an_unknown_id_is_404_model_not_found()
    {
        using var http = cluster.NewHttpClient();
        using var list = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        Assert.Equal("list", list.RootElement.GetProperty("object").GetString());
        var model = Assert.Single(list.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(SplitCluster.Model, model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal(4, model.GetProperty("layers").GetInt32());
        Assert.Equal(64, model.GetProperty("width").GetInt32());
        Assert.Equal("f32", model.GetProperty("dtype").GetString());
        Assert.Equal(cluster.Revision, model.GetProperty("revision").GetString());
        Assert.Equal(1024, model.GetProperty("max_input_tokens").GetInt32());
        Assert.Equal([64, 32, 16], model.GetProperty("dimensions").EnumerateArray().Select(d => d.GetInt32()));
        Assert.False(model.GetProperty("normalize").GetBoolean());
        Assert.Equal(OpenAiCluster.Alias, Assert.Single(model.GetProperty("aliases").EnumerateArray()).GetString());

        using var byRevision = JsonDocument.Parse(await http.GetStringAsync($"/v1/models/{SplitCluster.Model}@{cluster.Revision}"));
        Assert.Equal(SplitCluster.Model, byRevision.RootElement.GetProperty("id").GetString());

        using var missing = await http.GetAsync("/v1/models/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var error = await Faults.ErrorAsync(missing);
        Assert.Equal("model_not_found", Faults.Code(error));
        Assert.Contains("'nope'", Faults.Message(error), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_body_that_is_not_json_is_415(string contentType)
    {
        using var http = cluster.NewHttpClient();
        using var content = new StringContent("""{"input":"a"}""", Encoding.UTF8, contentType);
        using var response = await http.PostAsync("/v1/embeddings", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var error = await Faults.ErrorAsync(response);
        Assert.Equal("unsupported_media_type", Faults.Code(error));
        Assert.Contains(contentType, Faults.Message(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_encoding_format_is_400_naming_encoding_format()
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = SplitCluster.Model, input = "a", encoding_format = "binary" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await Faults.ErrorAsync(response);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("encoding_format", error.GetProperty("param").GetString());
        Assert.Contains("\"float\" or \"base64\"", Faults.Message(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Base64_answers_decode_to_the_float_answer_bit_for_bit()
    {
        string[] texts = ["Hello world", "again"];
        var floats = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = texts });
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = SplitCluster.Model, input = texts, encoding_format = "base64" });
        var decoded = Protocol.Embeddings.EmbeddingResponseWriter.ReadEmbeddings(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(floats.SelectMany(e => e).Select(BitConverter.SingleToInt32Bits), decoded.SelectMany(e => e).Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public async Task OpenAIs_2048_inputs_are_served_and_2049_are_400()
    {
        var inputs = Enumerable.Range(0, 2048).Select(i => $"text {i}").ToArray();
        var answer = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = inputs });
        Assert.Equal(2048, answer.Length);
        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = SplitCluster.Model, input = inputs.Append("one more") });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("more than 2048 inputs", Faults.Message(await Faults.ErrorAsync(response)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncate_cuts_an_over_long_input_to_the_models_limit()
    {
        int[] ids = [.. Enumerable.Range(0, 1100).Select(i => i % 500)];
        var cut = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = new[] { ids }, truncate = true });
        var first1024 = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = new[] { ids[..1024] } });
        PlainEmbeddings.AssertClose(first1024, cut);

        using var http = cluster.NewHttpClient();
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = SplitCluster.Model, input = new string('a', 65_537) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("context_length_exceeded", Faults.Code(await Faults.ErrorAsync(response)));
    }
}
