using SplitCompute.RedisConnection;
using System.Text.Json;
using System.Text.RegularExpressions;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Telemetry;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// The docker compose deployment as far as it can be checked without a Docker engine: the compose files are valid for Debian's
/// docker-compose, volumes are writable by the users that write them, start-up waits on health, and every metric and label the
/// Grafana dashboard queries is one the running services export (names as the collector's Prometheus exporter writes them:
/// '.' -> '_', no added suffixes; histograms add _bucket, _sum and _count; labels are the measurements' own tags).
/// </summary>
public sealed partial class DeploymentTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Compose = ["docker-compose.yml"];
    private static readonly string[] ComposeWithGpus = ["docker-compose.yml", "docker-compose.gpus.yml"];

    private static string Dashboard => Path.Combine(RepositoryPaths.Root, "deploy", "grafana", "dashboards", "split-decisions.json");

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("docker-compose.yml", "docker-compose.gpus.yml")]
    public async Task The_compose_file_is_valid(params string[] files)
    {
        var (code, _, stderr) = await ComposeConfig.RunAsync(files, "-q");
        Assert.True(code == 0, $"docker-compose config failed ({code}): {stderr}");
    }

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("docker-compose.yml", "docker-compose.gpus.yml")]
    public async Task Redis_requires_the_deployments_password_and_every_service_that_uses_it_has_it(params string[] files)
    {
        var (code, _, stderr) = await ComposeConfig.RunAsync(files, redisPassword: null, "-q");
        Assert.NotEqual(0, code);
        Assert.Contains("SPLITCOMPUTE_REDIS_PASSWORD", stderr, StringComparison.Ordinal);

        var config = await ComposeConfig.LoadAsync(files);
        var redis = config.Service("redis");
        Assert.Contains("--requirepass \"$$REDIS_PASSWORD\"", string.Join(" ", redis["command"]!.Items), StringComparison.Ordinal);
        Assert.Equal(ComposeConfig.RedisPassword, redis["environment"]!.Scalar("REDIS_PASSWORD"));
        Assert.Equal(ComposeConfig.RedisPassword, redis["environment"]!.Scalar("REDISCLI_AUTH"));  // the health check's redis-cli
        // The role users, with exactly the rules the code defines (and the tests check against redis-server: RedisRolesTests).
        var command = Regex.Replace(string.Join(" ", redis["command"]!.Lines), @"\s+", " ").Replace("'", "", StringComparison.Ordinal);  // the long item wraps
        Assert.True(command.Contains($"--user {RedisRoles.GatewayUser} on \">$$REDIS_GATEWAY_PASSWORD\" {RedisRoles.GatewayRules}", StringComparison.Ordinal), command);
        Assert.True(command.Contains($"--user {RedisRoles.WorkerUser} on \">$$REDIS_WORKER_PASSWORD\" {RedisRoles.WorkerRules}", StringComparison.Ordinal), command);
        Assert.Equal(ComposeConfig.GatewayRedisPassword, redis["environment"]!.Scalar("REDIS_GATEWAY_PASSWORD"));
        Assert.Equal(ComposeConfig.WorkerRedisPassword, redis["environment"]!.Scalar("REDIS_WORKER_PASSWORD"));
        var users = config.Services.Where(s => config.DependsOn(s).Any(d => d.Service == "redis")).ToList();
        Assert.Contains("gateway", users);
        foreach (var service in users)
        {
            var environment = config.Service(service)["environment"]!;
            var (user, password) = service == "gateway"
                ? (environment.Scalar("Gateway__RedisUser"), environment.Scalar("Gateway__RedisPassword"))
                : (environment.Scalar("Redis__User"), environment.Scalar("Redis__Password"));
            var expected = service == "gateway" ? (RedisRoles.GatewayUser, ComposeConfig.GatewayRedisPassword)
                : service.StartsWith("worker", StringComparison.Ordinal) ? (RedisRoles.WorkerUser, ComposeConfig.WorkerRedisPassword)
                : (null, ComposeConfig.RedisPassword);  // anything else (none today) as the admin
            Assert.True((user, password) == expected, $"{service} reaches Redis as {user ?? "default"} with the wrong password");
        }
    }

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("docker-compose.yml", "docker-compose.gpus.yml")]
    public async Task The_gateway_and_every_worker_share_the_deployments_cluster_secret(params string[] files)
    {
        var (code, _, stderr) = await ComposeConfig.RunAsync(files, ComposeConfig.RedisPassword, clusterSecret: null, "-q");
        Assert.NotEqual(0, code);
        Assert.Contains("SPLITCOMPUTE_CLUSTER_SECRET", stderr, StringComparison.Ordinal);

        var config = await ComposeConfig.LoadAsync(files);
        var services = config.Services.Where(s => s == "gateway" || s.StartsWith("worker", StringComparison.Ordinal)).ToList();
        Assert.Contains("gateway", services);
        Assert.True(services.Count >= 2, string.Join(",", services));
        foreach (var service in services)
            Assert.True(config.Service(service)["environment"]!.Scalar("Cluster__Secret") == ComposeConfig.ClusterSecret, $"{service} lacks the cluster secret");
    }

    [Fact]
    public async Task Every_GPU_worker_reserves_its_own_GPU_by_id()
    {
        var compose = await ComposeConfig.LoadAsync(ComposeWithGpus);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in compose.Services)
        {
            if (compose.Service(service)["deploy"]?["resources"]?["reservations"]?["devices"] is not { } devices) continue;
            var lines = devices.Lines.ToList();
            Assert.False(lines.Any(l => l.StartsWith("count:", StringComparison.Ordinal)), $"{service} reserves GPUs by count: replicas could share one");
            var at = lines.IndexOf("device_ids:");
            Assert.True(at >= 0, $"{service} reserves a device without device_ids");
            var id = Assert.Single(lines.Skip(at + 1).TakeWhile(l => l.StartsWith("- ", StringComparison.Ordinal))).Trim('-', ' ', '\'', '"');
            Assert.True(ids.TryAdd(id, service), $"{service} and {ids.GetValueOrDefault(id)} both reserve GPU {id}");
        }
        Assert.Equal(4, ids.Count);  // worker on GPU 0 (SPLITCOMPUTE_GPU) and worker-gpu1..3
    }

    [Fact]
    public async Task Every_named_volume_a_non_root_image_writes_exists_in_it_owned_by_that_user()
    {
        var compose = await ComposeConfig.LoadAsync(Compose);
        var dockerfile = new DockerfileStages(Path.Combine(RepositoryPaths.Root, "deploy", "Dockerfile"));
        var checkedMounts = 0;
        foreach (var service in compose.Services)
        {
            if (compose.DockerfileTarget(service) is not { } target) continue;
            var user = dockerfile.User(target);
            if (DockerfileStages.IsRoot(user)) continue;
            foreach (var (volume, path) in compose.NamedVolumeMounts(service))
            {
                // A new named volume copies the owner of the image's directory; absent, Docker creates it root-owned.
                Assert.True(dockerfile.CreatesOwned(target, path, user),
                    $"{service} runs as '{user}' and writes volume '{volume}' at {path}, but the '{target}' stage does not create {path} owned by {user}");
                checkedMounts++;
            }
        }
        Assert.True(checkedMounts >= 1, "no non-root service mounts a named volume: the gateway's keys volume should be checked");
    }

    [Fact]
    public async Task Every_dependency_with_a_health_check_is_waited_for_until_healthy()
    {
        var compose = await ComposeConfig.LoadAsync(ComposeWithGpus);
        foreach (var service in compose.Services)
        {
            foreach (var (upstream, condition) in compose.DependsOn(service))
            {
                if (condition == "service_completed_successfully") continue;  // one-shot jobs (model-init)
                var expected = compose.HasHealthcheck(upstream) ? "service_healthy" : "service_started";
                Assert.True(condition == expected, $"{service} depends on {upstream} with {condition}; expected {expected}");
            }
        }
        Assert.True(compose.HasHealthcheck("prometheus") && compose.HasHealthcheck("grafana") && compose.HasHealthcheck("redis"));
    }

    [Fact]
    public void The_collector_exports_metric_names_without_added_suffixes()
    {
        // The dashboard and the name mapping of these tests assume instrument name '.' -> '_' and nothing appended.
        var collector = YamlBlock.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", "otel-collector.yaml")));
        Assert.Equal("false", collector["exporters"]?["prometheus"]?.Scalar("add_metric_suffixes"));
        Assert.Contains("prometheus", collector["service"]?["pipelines"]?["metrics"]?.Scalar("exporters") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_metric_a_dashboard_panel_queries_is_exported_by_the_services()
    {
        using var recorder = await RecordTrafficAsync();
        var exported = PrometheusNames(recorder);
        Assert.Contains("splitcompute_gateway_decisions", exported.Keys);

        var queried = Queries().SelectMany(q => MetricName().Matches(q.Expr).Select(m => (q.Panel, Metric: m.Value))).ToList();
        Assert.True(queried.Count >= 20, $"the dashboard queries only {queried.Count} metrics");
        var missing = queried.Where(q => !exported.ContainsKey(q.Metric)).Select(q => $"{q.Metric} (panel '{q.Panel}')").Distinct().ToList();
        Assert.True(missing.Count == 0, "dashboard panels query metrics nothing exports: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Every_label_a_dashboard_panel_groups_or_filters_by_is_a_tag_on_that_instruments_measurements()
    {
        using var recorder = await RecordTrafficAsync();
        var exported = PrometheusNames(recorder);
        var tags = recorder.All.GroupBy(m => m.Instrument).ToDictionary(g => g.Key, g => g.SelectMany(m => m.Tags.Keys).ToHashSet(StringComparer.Ordinal));

        var problems = new List<string>();
        var checkedLabels = 0;
        foreach (var (panel, expr) in Queries())
        {
            var grouped = GroupBy().Matches(expr).SelectMany(m => m.Groups["labels"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
            foreach (Match metric in MetricName().Matches(expr))
            {
                if (!exported.TryGetValue(metric.Value, out var instrument)) continue;  // the metric test reports it
                var filtered = Selector().Match(expr, metric.Index + metric.Length) is { Success: true } s && s.Index == metric.Index + metric.Length
                    ? SelectorLabel().Matches(s.Value).Select(l => l.Groups["label"].Value) : [];
                foreach (var label in grouped.Concat(filtered).Where(l => l != "le").Distinct())
                {
                    checkedLabels++;
                    if (!tags.TryGetValue(instrument, out var keys)) problems.Add($"{instrument}: no measurement recorded to check '{label}' (panel '{panel}')");
                    else if (!keys.Contains(label)) problems.Add($"{instrument} has no '{label}' tag on its measurements (panel '{panel}'; it has {string.Join(", ", keys)})");
                }
            }
        }
        Assert.True(checkedLabels >= 20, $"only {checkedLabels} labels checked");
        Assert.True(problems.Count == 0, "dashboard panels use labels the measurements lack:\n" + string.Join("\n", problems.Distinct()));
    }

    /// <summary>A split (shards downloaded, feedback sent), a cloud-only request and a gauge collection, recorded.</summary>
    private async Task<MeasurementRecorder> RecordTrafficAsync()
    {
        var recorder = new MeasurementRecorder();
        using var edge = cluster.NewEdgeClient();
        var split = await edge.EmbedTextsAsync(["Hello dashboard"], SplitPreference.Force(1));
        Assert.False(split.FellBack, split.FallbackReason);
        await edge.EmbedTextsAsync(["Hello dashboard"], SplitPreference.None);
        recorder.ObserveGauges();
        return recorder;
    }

    /// <summary>Prometheus name -> instrument name, for every instrument of our meters.</summary>
    private static Dictionary<string, string> PrometheusNames(MeasurementRecorder recorder)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instrument in recorder.Published)
        {
            var name = instrument.Name.Replace('.', '_');
            var isHistogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
            foreach (var exported in isHistogram ? [name + "_bucket", name + "_sum", name + "_count"] : new[] { name }) names[exported] = instrument.Name;
        }
        return names;
    }

    private static List<(string Panel, string Expr)> Queries()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Dashboard));
        return [.. json.RootElement.GetProperty("panels").EnumerateArray().SelectMany(panel => panel.GetProperty("targets").EnumerateArray()
            .Select(target => (panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!)))];
    }

    [GeneratedRegex(@"\bsplitcompute_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\bby\s*\((?<labels>[^)]*)\)")]
    private static partial Regex GroupBy();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"(?<label>[A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")]
    private static partial Regex SelectorLabel();
}
