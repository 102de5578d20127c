using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace SplitCompute.Cli.Tests;

/// <summary>`splitcompute up` as a real process tree (redis-server, worker, gateway) and `splitcompute edge embed` against it.</summary>
public sealed partial class UpAndEdgeCommandTests
{
    [Fact]
    public async Task Up_serves_split_requests_and_stops_everything_on_SIGTERM()
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-up-").FullName;
        try
        {
            var model = Path.Combine(root, "tiny");
            Assert.Equal(0, CliProcess.Run("model", "init", "--preset", "tiny", "--seed", "3", "--out", model).ExitCode);
            var port = FreePort();
            using var up = Start(root, "up", "--model", model, "--port", port.ToString(CultureInfo.InvariantCulture));
            var gateway = await WaitForLineAsync(up, "gateway: ", TimeSpan.FromMinutes(2));

            var (splitExit, splitJson, splitErr) = CliProcess.Run("edge", "embed", "--gateway", gateway, "--text", "Hello world", "--text", "Split it.",
                "--force-split", "1", "--json", "--progress", "--backend", "cpu", "--cache", Path.Combine(root, "cache"));
            Assert.True(splitExit == 0, splitErr);
            // Progress goes to stderr only when asked (stderr is not a terminal here); stdout stays pure JSON (parsed below).
            Assert.Contains("downloading shards: 4/4", splitErr, StringComparison.Ordinal);
            Assert.Contains("(100%)", splitErr, StringComparison.Ordinal);
            var (cloudExit, cloudJson, cloudErr) = CliProcess.Run("edge", "embed", "--gateway", gateway, "--text", "Hello world", "--text", "Split it.",
                "--no-split", "--json", "--cache", Path.Combine(root, "cache"));
            Assert.True(cloudExit == 0, cloudErr);

            using var split = JsonDocument.Parse(splitJson);
            using var cloud = JsonDocument.Parse(cloudJson);
            Assert.Equal(1, split.RootElement.GetProperty("split").GetInt32());
            Assert.Equal(4, split.RootElement.GetProperty("layers").GetInt32());
            Assert.Equal("cpu", split.RootElement.GetProperty("backend").GetString());
            Assert.Equal(4, cloud.RootElement.GetProperty("split").GetInt32());
            Assert.True(split.RootElement.GetProperty("timings").GetProperty("edge_ms").GetDouble() > 0);
            Assert.Equal("accepted", split.RootElement.GetProperty("feedback").GetString());  // the gateway took this split's timings
            Assert.Equal(JsonValueKind.Null, cloud.RootElement.GetProperty("feedback").ValueKind);
            var a = split.RootElement.GetProperty("embeddings").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
            var b = cloud.RootElement.GetProperty("embeddings").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
            Assert.Equal(2 * 64, a.Length);
            Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4);

            await The_tail_runs_on_webgpu_and_without_an_adapter_the_cloud_answers(gateway, Path.Combine(root, "cache"), b);
            await Power_and_prefetch_reach_the_gateway_and_the_cache(gateway, root);
            await Two_processes_sharing_one_cache_download_each_shard_once(gateway, Path.Combine(root, "shared-cache"));
            await A_worker_that_dies_is_restarted_by_up(up, model, gateway, Path.Combine(root, "cache"));

            Assert.Equal(0, kill(up.Id, 15));
            Assert.True(up.WaitForExit(TimeSpan.FromSeconds(30)), "up did not stop within 30 s of SIGTERM");
            Assert.True(up.ExitCode == 0, $"up exited with {up.ExitCode}: {await up.StandardError.ReadToEndAsync()}");
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => probe.GetAsync(new Uri(new Uri(gateway), "/alive")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Two real edge processes start together on an empty cache directory; between them every shard crosses the network once.</summary>
    private static async Task Two_processes_sharing_one_cache_download_each_shard_once(string gateway, string cache)
    {
        string[] args = ["edge", "embed", "--gateway", gateway, "--text", "Race", "--force-split", "0", "--json", "--cache", cache, "--download-parallelism", "2"];
        var runs = await Task.WhenAll(Task.Run(() => CliProcess.Run(args)), Task.Run(() => CliProcess.Run(args)));
        var downloaded = 0L;
        foreach (var (exit, stdout, stderr) in runs)
        {
            Assert.True(exit == 0, stderr);
            using var json = JsonDocument.Parse(stdout);
            Assert.Null(json.RootElement.GetProperty("fallback").GetString());
            Assert.Equal(0, json.RootElement.GetProperty("split").GetInt32());
            downloaded += json.RootElement.GetProperty("timings").GetProperty("downloaded_bytes").GetInt64();
        }
        var shards = new DirectoryInfo(cache).GetFiles("*.safetensors");
        Assert.Equal(5, shards.Length);  // 4 layers and the final norm
        Assert.Equal(shards.Sum(f => f.Length), downloaded);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(cache, ".partial")));
    }

    /// <summary>
    /// `edge embed --backend webgpu` (the default) runs the tail on Dawn - lavapipe here, installed by the launcher - and equals
    /// cloud-only; with no Vulkan adapter (VK_ICD_FILENAMES at nothing) the client sends no WebGPU headers, the gateway answers
    /// from the cloud, and the JSON says why.
    /// </summary>
    /// <summary>
    /// `--power battery --prefer energy` keeps the request in the cloud (the planner says why in its decision), and `--prefetch`
    /// leaves the shards below the split in the cache before the process exits.
    /// </summary>
    private static async Task Power_and_prefetch_reach_the_gateway_and_the_cache(string gateway, string root)
    {
        var (exit, json, err) = CliProcess.Run("edge", "embed", "--gateway", gateway, "--text", "Spare my battery", "--power", "battery", "--prefer", "energy",
            "--json", "--backend", "cpu", "--cache", Path.Combine(root, "battery-cache"));
        Assert.True(exit == 0, err);
        using (var answer = JsonDocument.Parse(json)) Assert.Equal(4, answer.RootElement.GetProperty("split").GetInt32());
        using var http = new HttpClient { BaseAddress = new Uri(gateway) };
        using (var decisions = JsonDocument.Parse(await http.GetStringAsync("/v1/decisions")))
        {
            var reason = decisions.RootElement.EnumerateArray().Last().GetProperty("plan").GetProperty("reason").GetString();
            Assert.Contains("energy", reason, StringComparison.Ordinal);
        }

        var cache = Path.Combine(root, "prefetch-cache");
        (exit, _, err) = CliProcess.Run("edge", "embed", "--gateway", gateway, "--text", "Fetch the rest", "--force-split", "3", "--prefetch",
            "--json", "--backend", "cpu", "--cache", cache);
        Assert.True(exit == 0, err);
        // k = 3 needs layer 3 and the final norm; the prefetch adds layers 0, 1 and 2 before the process exits.
        Assert.Equal(5, Directory.EnumerateFiles(cache, "*.safetensors").Count());
    }

    private static async Task The_tail_runs_on_webgpu_and_without_an_adapter_the_cloud_answers(string gateway, string cache, float[] cloud)
    {
        string[] args = ["edge", "embed", "--gateway", gateway, "--text", "Hello world", "--text", "Split it.", "--force-split", "1", "--json", "--cache", cache];
        var (exit, stdout, stderr) = await RunWithEnvironmentAsync(args, []);
        Assert.True(exit == 0, stderr);
        using (var gpu = JsonDocument.Parse(stdout))
        {
            Assert.True(gpu.RootElement.GetProperty("fallback").ValueKind == JsonValueKind.Null, stdout);
            Assert.Equal(1, gpu.RootElement.GetProperty("split").GetInt32());
            Assert.Equal("webgpu", gpu.RootElement.GetProperty("backend").GetString());
            Assert.Contains("(vulkan)", gpu.RootElement.GetProperty("adapter").GetString(), StringComparison.Ordinal);
            var values = gpu.RootElement.GetProperty("embeddings").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
            Assert.True(values.Zip(cloud).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4);
        }

        var (noExit, noOut, noErr) = await RunWithEnvironmentAsync(args, [new("VK_ICD_FILENAMES", "/nonexistent/icd.json"), new("VK_DRIVER_FILES", "/nonexistent/icd.json")]);
        Assert.True(noExit == 0, noErr);
        using var none = JsonDocument.Parse(noOut);
        Assert.Equal(4, none.RootElement.GetProperty("split").GetInt32());  // cloud-only
        Assert.StartsWith("none: NoWebGpuAdapterException", none.RootElement.GetProperty("adapter").GetString(), StringComparison.Ordinal);
        var fromCloud = none.RootElement.GetProperty("embeddings").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        Assert.True(fromCloud.Zip(cloud).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunWithEnvironmentAsync(string[] args, KeyValuePair<string, string>[] environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "splitcompute.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>SIGKILL the worker child (found by its command line, which names this test's model): `up` starts it again.</summary>
    private static async Task A_worker_that_dies_is_restarted_by_up(Process up, string model, string gateway, string cache)
    {
        var worker = Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit))
            .Select(int.Parse).FirstOrDefault(pid =>
            {
                try
                {
                    var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
                    return cmdline.Contains(" worker ", StringComparison.Ordinal) && cmdline.Contains(model, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false;
                }
            });
        Assert.True(worker > 0, "the worker child of up was not found");
        Assert.Equal(0, kill(worker, 9));
        var restarted = await WaitForLineAsync(up, "worker-1 exited", TimeSpan.FromSeconds(30));
        Assert.NotNull(restarted);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (exit, stdout, stderr) = CliProcess.Run("edge", "embed", "--gateway", gateway, "--text", "After the restart", "--force-split", "2", "--json", "--cache", cache);
            if (exit == 0 && JsonDocument.Parse(stdout).RootElement.GetProperty("split").GetInt32() == 2) return;
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"no split answer after the worker restart: {stderr}");
            await Task.Delay(500);
        }
    }

    private static Process Start(string home, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "splitcompute.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["SPLITCOMPUTE_HOME"] = home;
        return Process.Start(start)!;
    }

    private static async Task<string> WaitForLineAsync(Process process, string prefix, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (await process.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Split(' ')[0];
        }
        throw new InvalidOperationException($"up exited before printing '{prefix}': {await process.StandardError.ReadToEndAsync()}");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);
}
