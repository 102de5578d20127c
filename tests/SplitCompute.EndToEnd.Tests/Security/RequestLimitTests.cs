using System.Net;
using System.Net.Http.Json;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// Each request limit of docs/security.md's table, at its default, on the real gateway: the answer is the documented status
/// with a reason naming the limit. (MaxRequestBytes at a small setting and n_positions are in RequestValidationTests.)
/// </summary>
public sealed class RequestLimitTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    private async Task<HttpClient> ClientAsync() => cluster.NewHttpClient((await cluster.NewKeyAsync()).Key);

    private static async Task AssertRefused(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_inputs_than_the_limit_is_400()
    {
        using var http = await ClientAsync();
        var max = EmbeddingRequestLimits.Default.MaxInputs;
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = SplitCluster.Model, input = Enumerable.Repeat(new[] { 1 }, max + 1) });
        await AssertRefused(response, HttpStatusCode.BadRequest, $"more than {max} inputs");
    }

    [Fact]
    public async Task A_text_longer_than_the_limit_is_400()
    {
        using var http = await ClientAsync();
        var max = EmbeddingRequestLimits.Default.MaxTextLength;
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = SplitCluster.Model, input = new string('a', max + 1) });
        await AssertRefused(response, HttpStatusCode.BadRequest, $"the limit is {max}");
    }

    [Fact]
    public async Task More_token_ids_in_a_sequence_than_the_limit_is_400()
    {
        using var http = await ClientAsync();
        var max = EmbeddingRequestLimits.Default.MaxIdsPerSequence;
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = SplitCluster.Model, input = new[] { Enumerable.Repeat(1, max + 1).ToArray() } });
        await AssertRefused(response, HttpStatusCode.BadRequest, $"more than {max} token ids");
    }

    [Fact]
    public async Task A_body_over_the_default_4_MiB_is_413()
    {
        using var http = await ClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new ByteArrayContent(new byte[4 * 1024 * 1024 + 1]) };
        request.Headers.ExpectContinue = true;  // the gateway refuses from Content-Length alone; without this the upload races the refusal
        using var response = await http.SendAsync(request);
        await AssertRefused(response, HttpStatusCode.RequestEntityTooLarge, "4194304");
    }

    [Fact]
    public async Task A_body_declared_over_the_drain_limit_is_refused_at_once_without_waiting_for_it()
    {
        // Bodies up to Gateway:MaxDrainBytes (64 MiB) are read and dropped so the sender sees the 413; a declared 1 GiB is answered
        // before a byte of it arrives (RawHttp gives up after 30 s).
        var (key, _) = await cluster.NewKeyAsync();
        Assert.Equal(413, await RawHttp.StatusAsync(cluster.GatewayUri, "POST", "/v1/embeddings",
            $"Authorization: Bearer {key}", "Content-Type: application/json", "Content-Length: 1073741824"));
    }

    [Fact]
    public async Task Headers_over_32_KiB_in_total_are_431_and_a_request_line_over_8_KiB_is_414()
    {
        var (key, _) = await cluster.NewKeyAsync();
        var big = new string('a', 8 * 1024);
        var headers = Enumerable.Range(0, 5).Select(i => $"X-Filler-{i}: {big}").Append($"Authorization: Bearer {key}").ToArray();
        Assert.Equal(431, await RawHttp.StatusAsync(cluster.GatewayUri, "GET", "/v1/decisions", headers));
        Assert.Equal(414, await RawHttp.StatusAsync(cluster.GatewayUri, "GET", "/v1/decisions?" + new string('q', 9 * 1024), $"Authorization: Bearer {key}"));
    }

    [Fact]
    public async Task A_capability_header_over_its_own_limit_is_ignored_with_a_warning_not_refused()
    {
        using var http = await ClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Ids([1, 2, 3]) };
        request.Headers.Accept.ParseAdd(MediaTypes.HiddenState);
        request.Headers.TryAddWithoutValidation(HeaderNames.Version, "1");
        request.Headers.TryAddWithoutValidation(HeaderNames.Perf, "gflops=" + new string('1', 1100));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(response.Headers.GetValues(HeaderNames.Warning), w => w.StartsWith(HeaderNames.Perf, StringComparison.Ordinal));
    }
}
