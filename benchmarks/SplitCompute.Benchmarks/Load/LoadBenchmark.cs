using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SplitCompute.Benchmarks.Gateway;
using SplitCompute.Model.Config;
using SplitCompute.Model.Init;

namespace SplitCompute.Benchmarks.Load;

/// <summary>
/// Issue 7's load run: `splitcompute up` with two workers (real processes: redis-server, workers, gateway) under a held request
/// rate from wrk for a minute, while one worker is SIGKILLed a quarter of the way in (`up` restarts it). Prints the rate held,
/// latency, every wrk error class and the lost requests against the stated error budget (zero).
/// Usage: load [seconds = 60] [requests/s = 100] [connections = 8] [preset = tiny]
/// </summary>
internal sealed partial class LoadBenchmark : IBenchmark
{
    private const string Body = """{"input":["Hold the line under faults.","A second sequence in the batch."]}""";

    public string Name => "load";

    public string Description => "held request rate through `up` (2 workers) for 60 s while a worker is killed and restarted; lost requests";

    public int Run(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
        var rate = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        var connections = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        var preset = args.Length > 3 ? args[3] : "tiny";
        return RunAsync(seconds, rate, connections, preset).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int seconds, double rate, int connections, string preset)
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-load-").FullName;
        Process? up = null;
        try
        {
            var model = Path.Combine(root, preset);
            RandomModelWriter.Write(model, Gpt2Config.Preset(preset), seed: 1);
            var port = RedisServerProcess.FreePort();
            up = StartUp(root, model, port);
            var gateway = await WaitForLineAsync(up, "gateway: ", TimeSpan.FromMinutes(3)).ConfigureAwait(false);
            var upLines = new List<string>();
            _ = Task.Run(async () =>
            {
                while (await up.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line) lock (upLines) upLines.Add(line);
            });

            var delayMs = Math.Max(0, (connections * 1000.0 / rate) - 2);  // minus a typical latency
            var script = Path.Combine(root, "load.lua");
            await File.WriteAllTextAsync(script, Wrk.Script(Body, [new("Content-Type", "application/json"), new("Accept", "application/json")], delayMs)).ConfigureAwait(false);
            Console.WriteLine($"# model {preset} (seeded), `splitcompute up --workers 2` at {gateway}; wrk -t2 -c{connections} -d{seconds}s --timeout=10s, delay {delayMs:F1} ms per connection (offered ~{rate} requests/s)");
            Console.WriteLine($"# body: {Body}  (OpenAI JSON path: each answer is computed by a worker, cloud-only)");
            Console.WriteLine($"# load average before: {LoadAverage()}");

            var clock = Stopwatch.StartNew();
            // A request counts as lost if it errs or takes over 10 s (clients give up long before a minute).
            var wrk = Wrk.RunAsync("load", new Uri(new Uri(gateway), "/v1/embeddings").ToString(), script, 2, connections, seconds, timeoutSeconds: 10);
            await Task.Delay(TimeSpan.FromSeconds(seconds / 4.0)).ConfigureAwait(false);
            var address = await WorkerAddressAsync(new Uri(gateway), "worker-1").ConfigureAwait(false);
            var victim = FindWorker(model, "worker-1") ?? throw new InvalidOperationException("worker-1 of up was not found");
            Console.WriteLine($"# t={clock.Elapsed.TotalSeconds:F1}s: SIGKILL worker-1 (pid {victim})");
            if (kill(victim, 9) != 0) throw new InvalidOperationException($"kill({victim}) failed");
            var back = await WaitForRestartAsync(upLines, address, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
            Console.WriteLine($"# t={clock.Elapsed.TotalSeconds:F1}s: worker-1 {(back ? "restarted by up and answering /alive again" : "NOT back")} ({address})");
            var result = await wrk.ConfigureAwait(false);
            lock (upLines) foreach (var line in upLines) Console.WriteLine($"# up: {line}");

            Console.WriteLine(result.RawOutput);
            var held = result.Requests / result.Seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"requests {result.Requests}, {held:F1} requests/s held (offered ~{rate}), p50 {result.P50Us / 1000:F2} ms, p99 {result.P99Us / 1000:F2} ms, p99.9 {result.P999Us / 1000:F2} ms"));
            Console.WriteLine($"lost requests (wrk errors: connect, read, write, non-2xx, timeout): {result.Errors}; error budget: 0 -> {(result.Errors == 0 ? "met" : "MISSED")}");
            Console.WriteLine($"# load average after: {LoadAverage()}");
            return result.Errors == 0 ? 0 : 1;
        }
        finally
        {
            if (up is { HasExited: false })
            {
                _ = kill(up.Id, 15);
                if (!up.WaitForExit(TimeSpan.FromSeconds(30))) up.Kill(entireProcessTree: true);
            }
            up?.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    internal static Process StartUp(string home, string model, int port, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "splitcompute.dll"), "up", "--model", model, "--workers", "2", "--port", port.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        start.Environment["SPLITCOMPUTE_HOME"] = home;
        start.Environment["Gateway__HealthShowsWorkerAddresses"] = "true";  // this run finds worker-1's address there
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start splitcompute up");
    }

    internal static async Task<string> WaitForLineAsync(Process process, string prefix, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (await process.StandardOutput.ReadLineAsync(cancel.Token).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Split(' ')[0];
        }
        throw new InvalidOperationException($"up exited before printing '{prefix}': {await process.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
    }

    /// <summary>The worker child of this run's `up`, by its command line (it names this run's model directory and the worker id).</summary>
    private static int? FindWorker(string model, string workerId)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(model, StringComparison.Ordinal) && cmdline.Contains($"WorkerId={workerId}", StringComparison.Ordinal)) return pid;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return null;
    }

    private static async Task<Uri> WorkerAddressAsync(Uri gateway, string workerId)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(5) };
        using var health = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/health").ConfigureAwait(false));
        var worker = health.RootElement.GetProperty("workers").EnumerateArray().First(w => w.GetProperty("workerId").GetString() == workerId);
        return new Uri(worker.GetProperty("address").GetString()!);
    }

    /// <summary>Until `up` has said it restarted the worker and the new process answers on the same address.</summary>
    private static async Task<bool> WaitForRestartAsync(List<string> upLines, Uri worker, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            bool restarted;
            lock (upLines) restarted = upLines.Any(l => l.StartsWith("worker-1 exited", StringComparison.Ordinal));
            if (restarted)
            {
                try
                {
                    if ((await http.GetAsync(new Uri(worker, "/alive")).ConfigureAwait(false)).IsSuccessStatusCode) return true;
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        return false;
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);
}
