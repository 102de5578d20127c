using System.Diagnostics;

namespace SplitCompute.Cli.Tests;

/// <summary>Runs the real CLI (splitcompute.dll, built beside the tests) as a child process and captures its output.</summary>
internal static class CliProcess
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => RunWithEnvironment(new Dictionary<string, string>(), args);

    /// <summary>Runs the CLI with <paramref name="environment"/> added to this process's environment (e.g. a password).</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunWithEnvironment(IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "splitcompute.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"splitcompute {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
