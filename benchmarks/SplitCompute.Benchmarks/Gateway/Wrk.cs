using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>One wrk run's figures, read from the line the Lua script's done() hook prints.</summary>
internal sealed record WrkResult(string Path, long Requests, double Seconds, double P50Us, double P99Us, double P999Us, long Errors, string RawOutput)
{
    public double RequestsPerSecond => Requests / Seconds;

    /// <summary>CPU microseconds per request of the proxy, the backend and redis-server during the run (set by the caller).</summary>
    public (double Proxy, double Backend, double Redis) CpuUsPerRequest { get; init; }
}

/// <summary>Runs wrk (Debian package wrk) with a generated Lua script that POSTs a fixed body with fixed headers.</summary>
internal static class Wrk
{
    private const string Marker = "@@wrk ";

    /// <summary>
    /// A Lua script POSTing <paramref name="body"/> with <paramref name="headers"/>, reporting exact percentiles in microseconds.
    /// With <paramref name="delayMs"/> each connection waits that long before its next request (wrk's delay() hook), which
    /// holds the offered rate near connections x 1000 / (delay + latency) instead of saturating the server.
    /// </summary>
    public static string Script(string body, IEnumerable<KeyValuePair<string, string>> headers, double? delayMs = null)
    {
        var lua = new StringBuilder();
        lua.AppendLine("wrk.method = \"POST\"");
        if (delayMs is { } delay) lua.AppendLine(string.Create(CultureInfo.InvariantCulture, $"delay = function() return {delay:F1} end"));
        lua.AppendLine($"wrk.body = {Lua(body)}");
        foreach (var (name, value) in headers) lua.AppendLine($"wrk.headers[{Lua(name)}] = {Lua(value)}");
        lua.AppendLine("done = function(summary, latency, requests)");
        lua.AppendLine("  local e = summary.errors");
        lua.AppendLine("  io.write(string.format(\"@@errors connect=%d read=%d write=%d status=%d timeout=%d\\n\", e.connect, e.read, e.write, e.status, e.timeout))");
        lua.AppendLine($"  io.write(string.format(\"{Marker}%.0f %.0f %.1f %.1f %.1f %.0f\\n\", summary.requests, summary.duration,");
        lua.AppendLine("    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), e.connect + e.read + e.write + e.status + e.timeout))");
        lua.AppendLine("end");
        return lua.ToString();
    }

    private static string Lua(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <param name="timeoutSeconds">wrk counts a request slower than this as a timeout error (wrk's default is 2 s).</param>
    public static async Task<WrkResult> RunAsync(string path, string url, string scriptFile, int threads, int connections, int seconds, int timeoutSeconds = 2)
    {
        var start = CpuPinning.Start("wrk", "wrk");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var arg in new[] { $"-t{threads}", $"-c{connections}", $"-d{seconds}s", $"--timeout={timeoutSeconds}s", "--latency", "-s", scriptFile, url })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start wrk (Debian package wrk)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk exited with {process.ExitCode} and no summary:\n{output}");
        var f = line[Marker.Length..].Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var raw = string.Join('\n', output.Split('\n').Where(l => !l.StartsWith(Marker, StringComparison.Ordinal))).TrimEnd();
        return new WrkResult(path, (long)f[0], f[1] / 1e6, f[2], f[3], f[4], (long)f[5], raw);
    }
}
