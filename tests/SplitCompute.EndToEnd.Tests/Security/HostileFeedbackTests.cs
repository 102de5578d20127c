using System.Text;
using System.Text.Json;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Decisions;
using SplitCompute.Protocol.Feedback;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// Hostile numbers in feedback on the real gateway (issue 21 item 4): each is refused with a 400 (413 when too large) naming
/// the field, none claims the decision, and afterwards the same client's good request and feedback still work, with a sane
/// plan and finite figures. Before, 5e-324 ms was accepted and drove the profile to infinity, then NaN, then 500s.
/// </summary>
public sealed class HostileFeedbackTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    [Fact]
    public async Task Hostile_numbers_are_refused_by_field_and_the_client_is_still_served_and_planned_sanely()
    {
        var (key, _) = await cluster.NewKeyAsync(name: "hostile feedback");
        using var edge = new EdgeClient(new EdgeOptions(cluster.GatewayUri, cluster.NewCacheDirectory())
        {
            ApiKey = key, Gflops = 50, DownlinkMbps = 10_000, SendFeedback = false, Prefetch = false,
        });
        var (decision, good) = await SplitAsync(edge);
        (string Field, string Value, int Status)[] hostile =
        [
            ("edge_ms", "5e-324", 400), ("download_ms", "4.9e-324", 400), ("request_ms", "1e-310", 400), ("total_ms", "1e308", 400),
            ("edge_ms", "1E400", 400), ("edge_ms", "\"NaN\"", 400), ("edge_ms", "\"Infinity\"", 400), ("edge_ms", "-1e-320", 400),
            ("edge_ms", "[" + string.Join(",", Enumerable.Repeat("1", 500)) + "]", 400), ("edge_ms", "[" + string.Join(",", Enumerable.Repeat("1", 3000)) + "]", 413),
            ("k", "\"2\"", 400), ("k", "2.5", 400), ("n", "1e308", 400), ("fell_back", "\"false\"", 400), ("downloaded_bytes", "1e308", 400),
            ("downloaded_bytes", "123456789012345678901234567890", 400), ("loaded_bytes", "-1", 400), ("edge_ms", "{}", 400), ("edge_ms", "null", 400),
        ];
        foreach (var (field, value, status) in hostile)
        {
            var (code, body) = await PostAsync(key, edge.ClientId, Replace(good, field, value));
            Assert.True(code == status, $"{field}: {value[..Math.Min(30, value.Length)]} answered {code}: {body}");
            if (status == 400) Assert.Contains(field, body, StringComparison.Ordinal);
        }

        // Extreme but valid numbers (1 us, 10 min, -0, 1 TiB in 1 us) are accepted and leave every figure finite and sane.
        var extreme = Replace(Replace(Replace(Replace(Replace(good, "edge_ms", "0.001"), "download_ms", "0.001"), "downloaded_bytes", "1099511627776"),
            "request_ms", "-0"), "total_ms", "600000");
        var (accepted, profile) = await PostAsync(key, edge.ClientId, extreme);
        Assert.True(accepted == 200, $"extreme but valid feedback: {accepted}: {profile}");
        AssertSaneProfile(profile);

        // The same client is still served, split, and its good feedback accepted.
        var (next, nextFeedback) = await SplitAsync(edge);
        Assert.NotEqual(decision, next);
        var (status2, profile2) = await PostAsync(key, edge.ClientId, nextFeedback);
        Assert.True(status2 == 200, $"good feedback after hostile ones: {status2}: {profile2}");
        AssertSaneProfile(profile2);

        // And its planned request (no forced split) gets a sane decision and prediction.
        var planned = await edge.EmbedTextsAsync(["planned after hostile feedback"], SplitPreference.Auto);
        Assert.InRange(planned.K, 0, planned.N);
        Assert.True(planned.Embeddings[0].Length > 0 && planned.Embeddings[0].All(float.IsFinite));
        foreach (var word in new[] { "NaN", "Infinity", "∞" })
            Assert.DoesNotContain(word, planned.Predicted ?? "", StringComparison.Ordinal);
    }

    /// <summary>A forced split (k=2) and the body of a plausible feedback for it.</summary>
    private static async Task<(string Decision, string Feedback)> SplitAsync(EdgeClient edge)
    {
        var split = await edge.EmbedTextsAsync(["hostile feedback"], SplitPreference.Force(2));
        Assert.Equal(2, split.K);
        var decision = DecisionHeader.TryParse(split.Decision)!.Id!;
        var feedback = EdgeFeedbackCodec.ToJson(new EdgeFeedback(decision, SplitCluster.Model, 2, split.N, 5, 0, 0, 3, 9, FellBack: false));
        return (decision, Encoding.UTF8.GetString(feedback));
    }

    /// <summary>The body with one member's value replaced as written (not re-encoded).</summary>
    private static string Replace(string json, string field, string value)
    {
        var start = json.IndexOf($"\"{field}\":", StringComparison.Ordinal) + field.Length + 3;
        var end = json.IndexOfAny([',', '}'], start);
        return json[..start] + value + json[end..];
    }

    private static void AssertSaneProfile(string json)
    {
        using var document = JsonDocument.Parse(json);
        foreach (var name in new[] { "edge_gflops", "edge_ms_per_layer", "downlink_mbps" })
        {
            var value = document.RootElement.GetProperty(name);
            if (value.ValueKind == JsonValueKind.Null) continue;
            Assert.InRange(value.GetDouble(), 0, 1e6);
        }
    }

    private async Task<(int Status, string Body)> PostAsync(string key, string clientId, string body)
    {
        using var http = cluster.NewHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/feedback") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(HeaderNames.Client, clientId);
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
