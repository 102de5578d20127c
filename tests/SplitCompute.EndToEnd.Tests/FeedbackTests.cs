using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Gateway.Feedback;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Decisions;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// Edge feedback through the real gateway: the edge client reports each split's timings, the gateway keeps them as that
/// client's measured profile and plans its next requests by it (and only its), and malformed or misdirected feedback is
/// refused with a clear status while the gateway keeps serving.
/// </summary>
public sealed class FeedbackTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Feedback tells the planner the truth.", "A second sequence, a little longer than the first."];

    private ClientProfileStore Profiles => cluster.Gateway.Services.GetRequiredService<ClientProfileStore>();

    [Fact]
    public async Task The_edge_client_reports_each_split_and_the_gateway_keeps_its_measured_profile()
    {
        using var edge = Client();
        var first = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(1));

        Assert.False(first.FellBack, first.FallbackReason);
        Assert.Equal("accepted", first.Feedback);
        Assert.True(DecisionId.IsValid(DecisionHeader.TryParse(first.Decision)?.Id), $"no decision id in '{first.Decision}'");
        var cold = Profiles.Find(edge.ClientId);
        Assert.NotNull(cold);
        Assert.Equal(1, cold.Samples);
        // The first run loaded the tail's weights and said how long that took apart from the compute: both are fitted.
        Assert.NotNull(cold.Load);
        Assert.NotNull(cold.Compute);
        Assert.NotNull(cold.OverheadMs);
        Assert.NotNull(cold.DownlinkMbps);  // all five shards were downloaded (over 256 KiB)

        var second = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(1));
        Assert.Equal("accepted", second.Feedback);
        var warm = Profiles.Find(edge.ClientId)!;
        Assert.Equal(2, warm.Samples);
        Assert.True(warm.EdgeGflops > 0 && warm.EdgeMsPerLayer > 0, $"{warm}");
        Assert.Equal(1, warm.Load!.Value.Samples);  // the same k again: its weights were resident, nothing was loaded
        Assert.NotNull(warm.RttMs);  // the worker said its own time (X-SplitCompute-Worker-Ms): the rest is the link

        var cloud = await edge.EmbedTextsAsync(Texts, SplitPreference.None);
        Assert.Null(cloud.Feedback);  // nothing ran here: nothing to report
        Assert.Equal(2, Profiles.Find(edge.ClientId)!.Samples);
    }

    [Fact]
    public async Task A_client_that_reports_a_slow_edge_gets_fewer_layers_offloaded_and_no_other_client_is_affected()
    {
        // This cluster's worker idles, and idle GPU time is worth little: value it as a busy fleet would, so a fast client splits.
        await cluster.WithIdleGpuWeightAsync(50, SlowFeedbackMovesOnlyItsOwnClientAsync);
    }

    private async Task SlowFeedbackMovesOnlyItsOwnClientAsync()
    {
        var cache = cluster.NewCacheDirectory();
        using (var warm = Client(cache, reports: false))
        {
            await warm.EmbedTextsAsync(Texts, SplitPreference.Force(0));  // every shard cached: only edge speed decides
        }
        using var http = cluster.NewHttpClient();
        using var slow = Client(cache, reports: false);
        var before = await slow.EmbedTextsAsync(Texts, SplitPreference.Auto);
        Assert.True(before.K < before.N, $"a 1000 GFLOP/s client holding every shard was not split: {before.Decision} {before.Predicted}");

        // The client measured its edge at 4 s for the tail it ran: far slower than its headers claim.
        var id = DecisionHeader.TryParse(before.Decision)!.Id!;
        using var response = await PostFeedbackAsync(http, slow.ClientId, Feedback(id, before.K, before.N, edgeMs: 4_000));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var profile = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(profile.RootElement.GetProperty("edge_gflops").GetDouble() < 1, profile.RootElement.ToString());

        var after = await slow.EmbedTextsAsync(Texts, SplitPreference.Auto);
        Assert.True(after.K > before.K, $"k before feedback {before.K}, after {after.K}: {after.Predicted}");
        Assert.Equal(after.N, after.K);
        var reason = (await http.GetFromJsonAsync<JsonElement>("/v1/decisions")).EnumerateArray().Last().GetProperty("plan").GetProperty("reason").GetString();
        Assert.Contains("measured", reason, StringComparison.Ordinal);

        // Another client with the same headers and cache contents is planned by its own (reported) figures.
        var otherCache = cluster.NewCacheDirectory();
        CopyShards(cache, otherCache);
        using var other = Client(otherCache, reports: false);
        Assert.NotEqual(slow.ClientId, other.ClientId);
        var unaffected = await other.EmbedTextsAsync(Texts, SplitPreference.Auto);
        Assert.Equal(before.K, unaffected.K);
    }

    [Fact]
    public async Task A_fallback_reported_by_the_edge_keeps_that_client_in_the_cloud_for_a_while()
    {
        using var http = cluster.NewHttpClient();
        using var edge = Client(reports: false);
        var split = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(2));
        var id = DecisionHeader.TryParse(split.Decision)!.Id!;
        using var response = await PostFeedbackAsync(http, edge.ClientId, Feedback(id, 2, split.N, edgeMs: 0, fellBack: true));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var next = await edge.EmbedTextsAsync(Texts, SplitPreference.Auto);
        Assert.Equal(next.N, next.K);
        var reason = (await http.GetFromJsonAsync<JsonElement>("/v1/decisions")).EnumerateArray().Last().GetProperty("plan").GetProperty("reason").GetString();
        Assert.Contains("fell back", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "body")]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("{\"decision\":", "not valid JSON")]
    [InlineData("{\"decision\":\"abc\",\"model\":\"m\",\"k\":1,\"n\":4,\"request_ms\":1,\"download_ms\":0,\"downloaded_bytes\":0,\"edge_ms\":1,\"total_ms\":2,\"fell_back\":false}", "decision")]
    [InlineData("{\"model\":\"m\"}", "decision: missing")]
    [InlineData("{\"decision\":\"0123456789abcdef0123456789abcdef\",\"model\":\"m\",\"k\":5,\"n\":4,\"request_ms\":1,\"download_ms\":0,\"downloaded_bytes\":0,\"edge_ms\":1,\"total_ms\":2,\"fell_back\":false}", "k: expected 0 <= k < n")]
    [InlineData("{\"decision\":\"0123456789abcdef0123456789abcdef\",\"model\":\"m\",\"k\":1,\"n\":4,\"request_ms\":-1,\"download_ms\":0,\"downloaded_bytes\":0,\"edge_ms\":1,\"total_ms\":2,\"fell_back\":false}", "request_ms")]
    [InlineData("{\"decision\":\"0123456789abcdef0123456789abcdef\",\"model\":\"m\",\"k\":1,\"n\":4,\"request_ms\":1,\"download_ms\":0,\"downloaded_bytes\":0,\"edge_ms\":\"fast\",\"total_ms\":2,\"fell_back\":false}", "edge_ms")]
    [InlineData("{\"decision\":\"0123456789abcdef0123456789abcdef\",\"decision\":\"0123456789abcdef0123456789abcdef\"}", "appears twice")]
    [InlineData("{\"decision\":\"0123456789abcdef0123456789abcdef\",\"model\":\"m\",\"k\":1,\"n\":4,\"request_ms\":1,\"download_ms\":0,\"downloaded_bytes\":1.5,\"edge_ms\":1,\"total_ms\":2,\"fell_back\":false}", "downloaded_bytes")]
    public async Task Malformed_feedback_is_400_with_the_reason(string body, string expected)
    {
        using var http = cluster.NewHttpClient();
        using var response = await PostFeedbackAsync(http, ClientId.New(), body);
        var detail = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public async Task Misdirected_feedback_is_refused_and_leaves_the_decision_to_its_owner()
    {
        using var http = cluster.NewHttpClient();
        using var edge = Client(reports: false);
        var split = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(1));
        var id = DecisionHeader.TryParse(split.Decision)!.Id!;
        var body = Feedback(id, 1, split.N, edgeMs: 10);

        using (var noClient = await PostFeedbackAsync(http, null, body))
            Assert.Equal(HttpStatusCode.BadRequest, noClient.StatusCode);
        using (var badClient = await PostFeedbackAsync(http, "NOT-A-CLIENT-ID!", body))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badClient.StatusCode);
            Assert.Contains(HeaderNames.Client, await badClient.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var notJson = await PostFeedbackAsync(http, edge.ClientId, body, "text/plain"))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        using (var huge = await PostFeedbackAsync(http, edge.ClientId, body.TrimEnd('}') + ",\"pad\":\"" + new string('x', 8_000) + "\"}"))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        using (var stranger = await PostFeedbackAsync(http, ClientId.New(), body))
            Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        using (var unknown = await PostFeedbackAsync(http, edge.ClientId, Feedback(DecisionId.New(), 1, split.N, edgeMs: 10)))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, Profiles.Find(edge.ClientId)?.Samples ?? 0);  // its requests are counted, no feedback was taken

        using (var owner = await PostFeedbackAsync(http, edge.ClientId, body))
            Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        using (var replay = await PostFeedbackAsync(http, edge.ClientId, body))
            Assert.Equal(HttpStatusCode.NotFound, replay.StatusCode);  // one report per decision
        Assert.Equal(1, Profiles.Find(edge.ClientId)!.Samples);
    }

    private static string Feedback(string decisionId, int k, int n, double edgeMs, bool fellBack = false) =>
        Encoding.UTF8.GetString(EdgeFeedbackCodec.ToJson(new EdgeFeedback(decisionId, SplitCluster.Model, k, n, 5, 0, 0, edgeMs, edgeMs + 5, fellBack)));

    private static async Task<HttpResponseMessage> PostFeedbackAsync(HttpClient http, string? clientId, string body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/feedback") { Content = new StringContent(body, Encoding.UTF8, contentType) };
        if (clientId is not null) request.Headers.TryAddWithoutValidation(HeaderNames.Client, clientId);
        return await http.SendAsync(request);
    }

    private static void CopyShards(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*.safetensors")) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    /// <summary>A fast client (1000 GFLOP/s, 10 Gbit/s reported); with <paramref name="reports"/> false a test decides exactly what the gateway hears.</summary>
    private EdgeClient Client(string? cache = null, bool reports = true) =>
        new(new EdgeOptions(cluster.GatewayUri, cache ?? cluster.NewCacheDirectory()) { Gflops = 1_000, DownlinkMbps = 10_000, RttMs = 1, SendFeedback = reports });
}
