using System.Diagnostics;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// The compose deployment as Debian's docker-compose resolves it (`config`: anchors merged, variables at their defaults,
/// override files applied), read back as <see cref="YamlBlock"/>s. No Docker engine is needed.
/// </summary>
internal sealed class ComposeConfig
{
    private readonly YamlBlock _root;

    private ComposeConfig(YamlBlock root) => _root = root;

    /// <summary>Runs `docker-compose -f F... config [extra]` in the repository root; returns its exit code, stdout and stderr.</summary>
    /// <summary>The Redis password the deployment requires (a user puts it in .env), as these tests set it.</summary>
    public const string RedisPassword = "compose-test-password";

    /// <summary>The passwords of the gateway's and the workers' Redis users (.env), as these tests set them.</summary>
    public const string GatewayRedisPassword = "compose-test-gateway-password";
    public const string WorkerRedisPassword = "compose-test-worker-password";

    /// <summary>The cluster secret the deployment requires (.env), as these tests set it.</summary>
    public const string ClusterSecret = "compose-test-cluster-secret-0123456789abcdef";

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> files, params string[] extra) =>
        RunAsync(files, RedisPassword, extra);

    /// <param name="redisPassword">SPLITCOMPUTE_REDIS_PASSWORD for docker-compose; null leaves it unset.</param>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> files, string? redisPassword, params string[] extra) =>
        RunAsync(files, redisPassword, ClusterSecret, extra);

    /// <param name="clusterSecret">SPLITCOMPUTE_CLUSTER_SECRET for docker-compose; null leaves it unset.</param>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> files, string? redisPassword, string? clusterSecret, params string[] extra)
    {
        var start = new ProcessStartInfo("docker-compose") { WorkingDirectory = RepositoryPaths.Root, RedirectStandardError = true, RedirectStandardOutput = true };
        if (redisPassword is null) start.Environment.Remove("SPLITCOMPUTE_REDIS_PASSWORD");
        else start.Environment["SPLITCOMPUTE_REDIS_PASSWORD"] = redisPassword;
        start.Environment["SPLITCOMPUTE_REDIS_GATEWAY_PASSWORD"] = GatewayRedisPassword;
        start.Environment["SPLITCOMPUTE_REDIS_WORKER_PASSWORD"] = WorkerRedisPassword;
        if (clusterSecret is null) start.Environment.Remove("SPLITCOMPUTE_CLUSTER_SECRET");
        else start.Environment["SPLITCOMPUTE_CLUSTER_SECRET"] = clusterSecret;
        foreach (var file in files)
        {
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(file);
        }
        start.ArgumentList.Add("config");
        foreach (var arg in extra) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    public static async Task<ComposeConfig> LoadAsync(params string[] files)
    {
        var (code, stdout, stderr) = await RunAsync(files);
        Assert.True(code == 0, $"docker-compose config failed ({code}): {stderr}");
        return new ComposeConfig(YamlBlock.Parse(stdout));
    }

    public IEnumerable<string> Services => _root["services"]!.Keys;

    public YamlBlock Service(string name) => _root["services"]![name]!;

    public IReadOnlySet<string> NamedVolumes => _root["volumes"]?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];

    /// <summary>The deploy/Dockerfile target a service runs: its own build target, or that of the service building its image.</summary>
    public string? DockerfileTarget(string service)
    {
        var image = Service(service).Scalar("image");
        var builder = Services.Where(name => name == service || (image is not null && Service(name).Scalar("image") == image))
            .Select(name => Service(name)["build"]).FirstOrDefault(build => build?.Scalar("dockerfile") == "deploy/Dockerfile");
        return builder?.Scalar("target");
    }

    /// <summary>(volume, path) for each named volume the service mounts ("name:/path[:mode]").</summary>
    public IEnumerable<(string Volume, string Path)> NamedVolumeMounts(string service) =>
        (Service(service)["volumes"]?.Items ?? []).Select(v => v.Split(':')).Where(p => p.Length >= 2 && NamedVolumes.Contains(p[0])).Select(p => (p[0], p[1]));

    /// <summary>Each dependency of the service and its condition (service_started, service_healthy, ...).</summary>
    public IEnumerable<(string Service, string? Condition)> DependsOn(string service)
    {
        var depends = Service(service)["depends_on"];
        return depends is null ? [] : depends.Keys.Select(d => (d, depends[d]!.Scalar("condition")));
    }

    public bool HasHealthcheck(string service) => Service(service)["healthcheck"] is { } check && check.Scalar("disable") != "true";
}
