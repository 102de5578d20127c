using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using SplitCompute.Gateway.Hosting;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// GET /health stays open (probes need it) but shows the workers' internal addresses only to a caller with a valid API key, or
/// to anyone where Gateway:HealthShowsWorkerAddresses is on (issue 21 item 7). Before, anyone saw where to reach the workers.
/// </summary>
public sealed class HealthExposureTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    [Fact]
    public async Task Keys_on_addresses_only_for_a_valid_key()
    {
        var (key, _) = await cluster.NewKeyAsync(name: "health");
        var (revoked, revokedRecord) = await cluster.NewKeyAsync(name: "health revoked");
        await cluster.Keys.RevokeAsync(revokedRecord.Id);
        var worker = SplitCluster.Address(cluster.Workers[0]);

        Assert.DoesNotContain(worker, await HealthAsync(cluster.NewHttpClient(null)), StringComparison.Ordinal);
        Assert.DoesNotContain(worker, await HealthAsync(cluster.NewHttpClient(revoked)), StringComparison.Ordinal);
        Assert.DoesNotContain(worker, await HealthAsync(cluster.NewHttpClient("sc_" + new string('A', 43))), StringComparison.Ordinal);
        var authorised = await HealthAsync(cluster.NewHttpClient(key));
        Assert.Contains(worker, authorised, StringComparison.Ordinal);
        Assert.Contains("workerId", authorised, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_off_addresses_hidden_by_default_and_shown_when_configured()
    {
        var worker = SplitCluster.Address(cluster.Workers[0]);
        foreach (var (setting, shown) in new[] { (false, false), (true, true) })
        {
            var gateway = GatewayApp.Build(["--urls", "http://127.0.0.1:0", .. cluster.Redis.GatewayArguments(), "--Gateway:RefreshIntervalMs=50",
                "--Logging:LogLevel:Default=Warning", $"--Gateway:HealthShowsWorkerAddresses={setting}"]);
            await gateway.StartAsync();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(SplitCluster.Address(gateway)) };
                var health = "";
                for (var i = 0; i < 100 && !health.Contains("workerId", StringComparison.Ordinal); i++)
                {
                    await Task.Delay(50);
                    health = await HealthAsync(http, dispose: false);
                }
                Assert.Contains("workerId", health, StringComparison.Ordinal);
                Assert.True(health.Contains(worker, StringComparison.Ordinal) == shown, $"HealthShowsWorkerAddresses={setting}: {health}");
            }
            finally
            {
                await gateway.StopAsync();
                await gateway.DisposeAsync();
            }
        }
    }

    private static async Task<string> HealthAsync(HttpClient http, bool dispose = true)
    {
        try
        {
            var body = await (await http.GetAsync("/health")).Content.ReadAsStringAsync();
            using var json = JsonDocument.Parse(body);  // still JSON, whoever asks
            return body;
        }
        finally
        {
            if (dispose) http.Dispose();
        }
    }
}
