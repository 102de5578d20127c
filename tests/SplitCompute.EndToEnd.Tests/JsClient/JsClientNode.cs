using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>Runs the JavaScript client's scripts (clients/js/test) under Node: skipped where Node is missing, failed under ./splitcompute test.</summary>
internal static class JsClientNode
{
    public static string Directory { get; } = Path.Combine(RepositoryPaths.Root, "clients", "js");

    /// <summary>The test scripts' pinned packages (webgpu, puppeteer-core), installed once per test run with npm ci.</summary>
    public static Task InstallTestPackagesAsync() => Install.Value;

    private static readonly Lazy<Task> Install = new(() => NodeTool.RunInAsync(Path.Combine(Directory, "test"), "npm",
        ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], new Dictionary<string, string>(), TimeSpan.FromMinutes(3)));

    public static async Task<string> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var missing = NodeTool.Missing("node");
        var why = $"{missing} is not on PATH: ./splitcompute test installs Node.js (Debian's nodejs) on a fresh machine";
        Assert.False(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") == "1", why);
        Skip.If(missing is not null, why);
        return await NodeTool.RunInAsync(Directory, "node", arguments, environment ?? new Dictionary<string, string>(), TimeSpan.FromMinutes(1));
    }

    public static JsonElement[] Lines(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
}
