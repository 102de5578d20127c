using System.Net;
using System.Text.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.InferenceWorker.Execution;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// HTTP details issue 21 found wrong, on the real gateway and worker: HEAD of the dashboard, Range units other than bytes,
/// and JSON bodies with a key given twice.
/// </summary>
public sealed class HttpConformanceTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    [Fact]
    public async Task Head_of_the_dashboard_is_200_with_the_get_headers_and_no_body()
    {
        using var http = cluster.NewHttpClient(null);
        using var get = await http.GetAsync("/dashboard/");
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/dashboard/"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Only_byte_ranges_are_honoured_other_units_get_the_whole_shard()
    {
        var (key, _) = await cluster.NewKeyAsync();
        using var http = cluster.NewHttpClient(key);
        var shard = cluster.Workers[0].Services.GetRequiredService<ModelHost>().Manifest!.Shards[0];
        var path = $"/v1/shards/{shard.Sha256}";

        using var bytes = await SendAsync(http, path, "bytes=0-5");
        Assert.Equal(HttpStatusCode.PartialContent, bytes.StatusCode);
        Assert.Equal(6, (await bytes.Content.ReadAsByteArrayAsync()).Length);
        foreach (var range in new[] { "items=0-5", "Items=0-5", "pages=1" })
        {
            using var other = await SendAsync(http, path, range);
            Assert.True(other.StatusCode == HttpStatusCode.OK, $"Range: {range} answered {other.StatusCode}");
            Assert.Equal(shard.Bytes, (await other.Content.ReadAsByteArrayAsync()).LongLength);
        }
    }

    [Theory]
    [InlineData("{\"model\":\"tiny-e2e\",\"input\":\"x\",\"input\":\"y\"}", "input")]
    [InlineData("{\"model\":\"tiny-e2e\",\"model\":\"other\",\"input\":\"x\"}", "model")]
    [InlineData("{\"input\":\"x\",\"user\":1,\"user\":2}", "user")]
    public async Task A_key_given_twice_is_400_naming_it(string body, string duplicate)
    {
        var (key, _) = await cluster.NewKeyAsync();
        using var http = cluster.NewHttpClient(key);
        using var response = await http.PostAsync("/v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {response.StatusCode} {text}");
        using var error = JsonDocument.Parse(text);
        Assert.Contains($"\"{duplicate}\" appears twice", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        using var tei = await http.PostAsync("/embed", new StringContent("{\"inputs\":\"x\",\"inputs\":\"y\"}", Encoding.UTF8, "application/json"));
        Assert.True((int)tei.StatusCode is 400 or 422, $"TEI duplicate: {tei.StatusCode}");
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string range)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Range", range);
        return http.SendAsync(request);
    }
}
