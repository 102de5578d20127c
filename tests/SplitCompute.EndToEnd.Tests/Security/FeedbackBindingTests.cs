using System.Net;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Decisions;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// With API keys, a client id is filed under the key that used it (issue 21): another tenant who learns it cannot feed that
/// client's decisions, so cannot move its plans; the owner still can.
/// </summary>
public sealed class FeedbackBindingTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    [Fact]
    public async Task Another_key_cannot_claim_a_clients_decision_with_its_id_and_the_owner_still_can()
    {
        var (owner, _) = await cluster.NewKeyAsync(name: "owner");
        var (other, _) = await cluster.NewKeyAsync(name: "other tenant");
        using var edge = new EdgeClient(new EdgeOptions(cluster.GatewayUri, cluster.NewCacheDirectory())
        {
            ApiKey = owner, Gflops = 50, DownlinkMbps = 10_000, SendFeedback = false, Prefetch = false,
        });
        var split = await edge.EmbedTextsAsync(["bound to its key"], SplitPreference.Force(2));
        Assert.Equal(2, split.K);
        var decision = DecisionHeader.TryParse(split.Decision)!;
        var feedback = EdgeFeedbackCodec.ToJson(new EdgeFeedback(decision.Id!, SplitCluster.Model, 2, 4, 5, 0, 0, 3, 9, FellBack: false));

        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(other, edge.ClientId, feedback));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(owner, edge.ClientId, feedback));
    }

    private async Task<HttpStatusCode> PostAsync(string key, string clientId, byte[] body)
    {
        using var http = cluster.NewHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/feedback") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(HeaderNames.Client, clientId);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
