using System.Diagnostics;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>
/// Runs node and npm for <see cref="OpenAiNodeSdkTests"/> and the JavaScript client's tests: found on PATH (./splitcompute installs them on a fresh machine), the
/// SDK installed once per test run with <c>npm ci</c> from the pinned package-lock.json into the ignored node_modules.
/// </summary>
internal static class NodeTool
{
    public static string Directory { get; } = Path.Combine(RepositoryPaths.Root, "tests", "SplitCompute.EndToEnd.Tests", "OpenAi", "node");

    private static readonly Lazy<Task> Install = new(() => RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], new Dictionary<string, string>(), TimeSpan.FromMinutes(3)));

    /// <summary>The first of the tools that is not on PATH, or null when all are.</summary>
    public static string? Missing(params string[] tools) => tools.FirstOrDefault(tool => Find(tool) is null);

    public static Task InstallAsync() => Install.Value;

    /// <summary>Runs a tool in <see cref="Directory"/> and returns its standard output; fails the test with its output otherwise.</summary>
    public static Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout) =>
        RunInAsync(Directory, tool, arguments, environment, timeout);

    /// <summary>As <see cref="RunAsync"/>, in <paramref name="workingDirectory"/>.</summary>
    public static async Task<string> RunInAsync(string workingDirectory, string tool, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Find(tool) ?? tool) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', arguments)} ran over {timeout.TotalSeconds} s: {await stderr}");
        }
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists);
}
