using System.Net;
using System.Text.Json;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>The gateway runs its hot path once before it reports ready, and stays up doing so.</summary>
public sealed class GatewayWarmupTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    [Fact]
    public async Task Health_reports_the_gateway_warm_and_ready_once_its_hot_path_has_run()
    {
        using var http = cluster.NewHttpClient();
        JsonElement health = default;
        await SplitCluster.WaitUntilAsync(() =>
        {
            using var response = http.GetAsync("/health").GetAwaiter().GetResult();
            health = JsonDocument.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult()).RootElement.Clone();
            return response.StatusCode == HttpStatusCode.OK;
        }, "a ready gateway");
        Assert.True(health.GetProperty("warm").GetBoolean(), health.ToString());
        // The warm-up never stops the host: the gateway still answers after it.
        using var again = await http.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
