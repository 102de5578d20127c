using System.Diagnostics;
using System.Globalization;
using SplitCompute.Gateway.Access;
using SplitCompute.RedisConnection;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Benchmarks.Gateway;

/// <summary>
/// The gateway benchmark of the split-serving issue. Throughput and latency with wrk on loopback, in one run, of
///   plain YARP (MapForwarder, no planning)  ->  fast backend
///   our gateway (buffer + parse body, tokenize, capability headers, worker snapshot, SplitPlanner, decision log)  ->  same backend
/// each server in its own child process, against a real redis-server holding the backend's heartbeat and shard manifest. The
/// gateway runs twice: with Accept: application/json (OpenAI clients: the planner answers cloud-only without walking the layers)
/// and with Accept: hidden-state frame (split-capable clients: the full planning loop runs on every request; the fast backend
/// still sends its canned JSON), and a second gateway process with API keys required runs both again (a key lookup, cached,
/// and the limiter's Lua script plus a ZREM in Redis on every request). Measured rounds alternate the paths so background load
/// hits them alike.
/// Then the planning work alone, in-process, per call. Targets: gateway >= 90% of plain YARP's requests/s; planning p99 &lt; 50 us.
/// Usage: gateway [seconds per run = 15] [connections = 32] [rounds = 2] [planning calls = 1000000]
/// </summary>
internal sealed class GatewayBenchmark : IBenchmark
{
    public const string ModelName = "bench-gpt2";
    public const string InputText = "Hello world, how are you today?";
    public const string RequestBody = "{\"model\":\"" + ModelName + "\",\"input\":\"" + InputText + "\"}";
    private const int Threads = 2;
    private const int WarmupSeconds = 5;

    public string Name => "gateway";

    public string Description => "wrk on loopback: our gateway (planning included) vs plain YARP to the same fast backend; planning latency per call";

    public int Run(string[] args)
    {
        if (args is ["--serve", var role, .. var rest]) return ServerProcess.Serve(role, rest);
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        var planningCalls = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1_000_000;
        return RunAsync(seconds, connections, rounds, planningCalls).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int seconds, int connections, int rounds, int planningCalls)
    {
        Console.WriteLine($"# load average before: {LoadAverage()}");
        Console.WriteLine($"# wrk -t{Threads} -c{connections} -d{seconds}s --latency, {WarmupSeconds} s warm-up per path, {rounds} measured round(s) alternating the paths");
        Console.WriteLine("# processes: redis-server; fast backend, plain YARP and our gateway each in a child process of this one (server GC); wrk");
        Console.WriteLine($"# {CpuPinning.Describe()}");
        Console.WriteLine($"# body: {RequestBody}");

        await using var redis = await RedisServerProcess.StartAsync().ConfigureAwait(false);
        await using var backend = await ServerProcess.StartAsync("backend", [$"--Model={ModelName}"]).ConfigureAwait(false);
        await using var heartbeat = new FakeWorkerHeartbeat(redis.Endpoint, backend.Url);
        await heartbeat.StartAsync().ConfigureAwait(false);
        await using var plain = await ServerProcess.StartAsync("plain-yarp", [$"--Backend={backend.Url}"]).ConfigureAwait(false);
        // wrk is one address sending tens of thousands of requests a second: the per-address rate limit is for the internet.
        string[] oneAddress = ["--Gateway:MaxRequestsPerSecondPerIp=0"];
        await using var gateway = await ServerProcess.StartAsync("gateway", [$"--Gateway:RedisEndpoint={redis.Endpoint}", .. oneAddress]).ConfigureAwait(false);
        // Keys on: every request is looked up (cached) and runs the limiter's Lua script in Redis plus a ZREM when it ends, since
        // the key has (unreachably high) rate and concurrency limits; limits of 0 would skip Redis.
        await using var keyed = await ServerProcess.StartAsync("gateway", [$"--Gateway:RedisEndpoint={redis.Endpoint}", "--Gateway:RequireApiKeys=true", .. oneAddress]).ConfigureAwait(false);
        string apiKey;
        await using (var connector = new RedisConnector(new RedisSettings { Endpoint = redis.Endpoint }))
            (apiKey, _) = await new ApiKeyStore(connector, TimeProvider.System).CreateAsync("gateway benchmark", 10_000_000, 100_000).ConfigureAwait(false);
        Console.WriteLine($"# redis-server {redis.Endpoint}; backend {backend.Url} (pid {backend.ProcessId}); plain YARP {plain.Url} (pid {plain.ProcessId}); gateway {gateway.Url} (pid {gateway.ProcessId}); gateway with API keys {keyed.Url} (pid {keyed.ProcessId})");

        var capabilityHeaders = CapabilityHeaderWriter.Write(PlanningLatency.ClientCapabilitiesFor(heartbeat.PublishedManifest, heldFrom: 6));
        var jsonHeaders = Headers(capabilityHeaders, "application/json");
        var frameHeaders = Headers(capabilityHeaders, MediaTypes.HiddenState);
        List<KeyValuePair<string, string>> Keyed(List<KeyValuePair<string, string>> headers) => [.. headers, new("Authorization", "Bearer " + apiKey)];
        var directory = Directory.CreateTempSubdirectory("splitcompute-wrk-").FullName;
        try
        {
            var jsonScript = Path.Combine(directory, "json.lua");
            var frameScript = Path.Combine(directory, "frame.lua");
            var keyedJsonScript = Path.Combine(directory, "keyed-json.lua");
            var keyedFrameScript = Path.Combine(directory, "keyed-frame.lua");
            await File.WriteAllTextAsync(jsonScript, Wrk.Script(RequestBody, jsonHeaders)).ConfigureAwait(false);
            await File.WriteAllTextAsync(frameScript, Wrk.Script(RequestBody, frameHeaders)).ConfigureAwait(false);
            await File.WriteAllTextAsync(keyedJsonScript, Wrk.Script(RequestBody, Keyed(jsonHeaders))).ConfigureAwait(false);
            await File.WriteAllTextAsync(keyedFrameScript, Wrk.Script(RequestBody, Keyed(frameHeaders))).ConfigureAwait(false);
            Console.WriteLine("# request headers (every path gets the same; the frame rows change only Accept, the API-key rows add Authorization: Bearer sc_...):");
            foreach (var (name, value) in jsonHeaders) Console.WriteLine($"#   {name}: {value}");

            var expected = FastBackend.CannedResponse(ModelName);
            await CheckAsync("plain YARP", plain.Url, jsonHeaders, expected, needsDecision: false).ConfigureAwait(false);
            await WaitForWorkerAsync(gateway.Url).ConfigureAwait(false);
            await CheckAsync("gateway (JSON)", gateway.Url, jsonHeaders, expected, needsDecision: true).ConfigureAwait(false);
            await CheckAsync("gateway (frame)", gateway.Url, frameHeaders, expected, needsDecision: true).ConfigureAwait(false);
            await WaitForWorkerAsync(keyed.Url).ConfigureAwait(false);
            await CheckAsync("gateway with API keys (JSON)", keyed.Url, Keyed(jsonHeaders), expected, needsDecision: true).ConfigureAwait(false);
            await CheckAsync("gateway with API keys (frame)", keyed.Url, Keyed(frameHeaders), expected, needsDecision: true).ConfigureAwait(false);

            var paths = new (string Name, string Url, string Script, int Pid)[]
            {
                ("plain YARP", plain.Url, jsonScript, plain.ProcessId),
                ("gateway, Accept: JSON", gateway.Url, jsonScript, gateway.ProcessId),
                ("gateway, Accept: frame (full planning)", gateway.Url, frameScript, gateway.ProcessId),
                ("gateway + API keys, Accept: JSON", keyed.Url, keyedJsonScript, keyed.ProcessId),
                ("gateway + API keys, Accept: frame", keyed.Url, keyedFrameScript, keyed.ProcessId),
            };
            foreach (var (name, url, script, _) in paths)
            {
                var warm = await Wrk.RunAsync(name, url + "/v1/embeddings", script, Threads, connections, WarmupSeconds).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# warm-up {name}: {warm.RequestsPerSecond:F0} requests/s, {warm.Errors} errors"));
            }

            var results = new List<WrkResult>();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var (name, url, script, pid) in round % 2 == 1 ? paths : paths.Reverse())
                {
                    int[] pids = [pid, backend.ProcessId, redis.ProcessId];
                    var before = pids.Select(ProcessCpu.Read).ToArray();
                    var result = await Wrk.RunAsync(name, url + "/v1/embeddings", script, Threads, connections, seconds).ConfigureAwait(false);
                    var used = pids.Select((p, i) => (ProcessCpu.Read(p) - before[i]).TotalMicroseconds / result.Requests).ToArray();
                    result = result with { CpuUsPerRequest = (used[0], used[1], used[2]) };
                    results.Add(result);
                    Console.WriteLine();
                    Console.WriteLine($"## round {round}: {name}   (load average {LoadAverage()})");
                    Console.WriteLine(result.RawOutput);
                }
            }

            Console.WriteLine();
            Console.WriteLine($"{"",-40} {"",5} {"",11} {"",8} {"",8} {"",9} {"",7} {"",9}  {"CPU us per request",-22}");
            Console.WriteLine($"{"path",-40} {"round",5} {"requests/s",11} {"p50_ms",8} {"p99_ms",8} {"p99.9_ms",9} {"errors",7} {"vs_plain",9}  {"proxy",6} {"backend",7} {"redis",6}");
            var plainMean = results.Where(r => r.Path == paths[0].Name).Average(r => r.RequestsPerSecond);
            foreach (var (name, _, _, _) in paths)
            {
                var mine = results.Where(r => r.Path == name).ToList();
                for (var i = 0; i < mine.Count; i++)
                    Row(name, (i + 1).ToString(CultureInfo.InvariantCulture), mine[i].RequestsPerSecond, mine[i].P50Us, mine[i].P99Us, mine[i].P999Us, mine[i].Errors, mine[i].RequestsPerSecond / plainMean, mine[i].CpuUsPerRequest);
                var mean = mine.Average(r => r.RequestsPerSecond);
                Row(name, "mean", mean, mine.Average(r => r.P50Us), mine.Average(r => r.P99Us), mine.Average(r => r.P999Us), mine.Sum(r => r.Errors), mean / plainMean,
                    (mine.Average(r => r.CpuUsPerRequest.Proxy), mine.Average(r => r.CpuUsPerRequest.Backend), mine.Average(r => r.CpuUsPerRequest.Redis)));
            }
            double Ratio(int path) => results.Where(r => r.Path == paths[path].Name).Average(r => r.RequestsPerSecond) / plainMean;
            var ratios = Enumerable.Range(1, paths.Length - 1).Select(Ratio).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gateway/plain-YARP throughput: {ratios[0]:P1} (JSON), {ratios[1]:P1} (frame, full planning); with API keys {ratios[2]:P1} (JSON), {ratios[3]:P1} (frame); target >= 90%: {(ratios.Min() >= 0.9 ? "met" : "MISSED")}"));
            Console.WriteLine($"# load average after HTTP runs: {LoadAverage()}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Console.WriteLine();
        Console.WriteLine("## planning latency, in-process (servers idle)");
        var (planP99, parseP99) = PlanningLatency.Run(planningCalls);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"planning p99: SplitPlanner.Plan {planP99:F2} us, CapabilityHeaderParser.Parse {parseP99:F2} us, together {planP99 + parseP99:F2} us; target < 50 us: {(planP99 + parseP99 < 50 ? "met" : "MISSED")}"));
        Console.WriteLine($"# load average after: {LoadAverage()}");
        return 0;
    }

    private static List<KeyValuePair<string, string>> Headers(IReadOnlyList<KeyValuePair<string, string>> capabilities, string accept) =>
        [new("Content-Type", "application/json"), new("Accept", accept), .. capabilities];

    private static void Row(string path, string round, double rps, double p50Us, double p99Us, double p999Us, long errors, double ratio, (double Proxy, double Backend, double Redis) cpu) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{path,-40} {round,5} {rps,11:F0} {p50Us / 1000,8:F3} {p99Us / 1000,8:F3} {p999Us / 1000,9:F3} {errors,7} {ratio,9:P1}  {cpu.Proxy,6:F1} {cpu.Backend,7:F1} {cpu.Redis,6:F1}"));

    /// <summary>One request through a path: 200 and exactly the backend's canned body; the gateway must add its decision headers.</summary>
    private static async Task CheckAsync(string name, string baseUrl, List<KeyValuePair<string, string>> headers, byte[] expected, bool needsDecision)
    {
        using var http = new HttpClient();
        using var request = Request(baseUrl, headers);
        using var response = await http.SendAsync(request).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if ((int)response.StatusCode != 200 || !body.AsSpan().SequenceEqual(expected))
            throw new InvalidOperationException($"{name}: expected 200 with the canned body, got {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        var decision = response.Headers.TryGetValues(HeaderNames.Decision, out var d) ? string.Join(", ", d) : null;
        if (needsDecision && decision is null) throw new InvalidOperationException($"{name}: no {HeaderNames.Decision} header");
        var warnings = response.Headers.TryGetValues(HeaderNames.Warning, out var w) ? string.Join(" | ", w) : "none";
        Console.WriteLine($"# check {name}: 200, {body.Length}-byte canned body" + (decision is null ? "" : $"; {HeaderNames.Decision}: {decision}; warnings: {warnings}"));
        if (response.Headers.TryGetValues(HeaderNames.Predicted, out var p)) Console.WriteLine($"#   {HeaderNames.Predicted}: {string.Join(", ", p)}");
    }

    /// <summary>
    /// Waits until the gateway's registry lists the fake worker. The manifest is in Redis before the first heartbeat, so the
    /// refresh that finds the worker also loads its shard manifest.
    /// </summary>
    private static async Task WaitForWorkerAsync(string baseUrl)
    {
        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var health = await http.GetAsync(baseUrl + "/health").ConfigureAwait(false);
            if (health.IsSuccessStatusCode) return;
            if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("the gateway did not see the fake worker within 20 s");
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private static HttpRequestMessage Request(string baseUrl, List<KeyValuePair<string, string>> headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/embeddings") { Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(RequestBody)) };
        foreach (var (name, value) in headers)
        {
            if (name == "Content-Type") request.Content.Headers.TryAddWithoutValidation(name, value);
            else request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
