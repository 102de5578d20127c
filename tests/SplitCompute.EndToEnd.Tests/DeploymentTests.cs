using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SplitCompute.Telemetry;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// The docker compose deployment as far as it can be checked without a Docker engine: the compose file is valid for Debian's
/// docker-compose, and every metric the Grafana dashboard queries is one the running services export (names as the collector's
/// Prometheus exporter writes them: '.' -> '_', no added suffixes; histograms add _bucket, _sum and _count).
/// </summary>
public sealed partial class DeploymentTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static string Dashboard => Path.Combine(RepositoryPaths.Root, "deploy", "grafana", "dashboards", "split-decisions.json");

    [Fact]
    public async Task The_compose_file_is_valid()
    {
        var start = new ProcessStartInfo("docker-compose") { WorkingDirectory = RepositoryPaths.Root, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-f", "docker-compose.yml", "config", "-q" }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"docker-compose config failed ({process.ExitCode}): {stderr}");
    }

    [Fact]
    public void Every_metric_a_dashboard_panel_queries_is_exported_by_the_services()
    {
        // The cluster's gateway and worker are running: every instrument they created is published to a new listener.
        var exported = new HashSet<string>(StringComparer.Ordinal);
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name is not (TelemetryNames.Gateway or TelemetryNames.Worker)) return;
                var name = instrument.Name.Replace('.', '_');
                var isHistogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
                if (isHistogram) exported.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                else exported.Add(name);
            };
            listener.Start();
        }
        Assert.NotNull(cluster.Gateway);
        Assert.Contains("splitcompute_gateway_decisions", exported);

        using var json = JsonDocument.Parse(File.ReadAllText(Dashboard));
        var queried = new List<(string Panel, string Metric)>();
        foreach (var panel in json.RootElement.GetProperty("panels").EnumerateArray())
        {
            var title = panel.GetProperty("title").GetString()!;
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                foreach (Match match in MetricName().Matches(target.GetProperty("expr").GetString()!)) queried.Add((title, match.Value));
            }
        }
        Assert.True(queried.Count >= 20, $"the dashboard queries only {queried.Count} metrics");
        var missing = queried.Where(q => !exported.Contains(q.Metric)).Select(q => $"{q.Metric} (panel '{q.Panel}')").Distinct().ToList();
        Assert.True(missing.Count == 0, "dashboard panels query metrics nothing exports: " + string.Join(", ", missing));
    }

    [GeneratedRegex(@"\bsplitcompute_[a-z_]+")]
    private static partial Regex MetricName();
}
