using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using SplitCompute.Benchmarks.Gateway;
using SplitCompute.Gateway.Access;
using SplitCompute.Model.Config;
using SplitCompute.Model.Init;
using SplitCompute.RedisConnection;

namespace SplitCompute.Benchmarks.Load;

/// <summary>
/// Issue 21's two-tenant run: `splitcompute up` (2 workers, API keys required) with two keys of `keys create`'s default limits.
/// Tenant B (from 127.0.0.1) sends one small request every 150 ms (under its 10 requests/s), first alone, then while tenant A (from 127.0.0.2) floods large requests from 16 connections,
/// retrying at once whatever it is told. Prints B's latency alone and under the flood (target: p95 within 1.5x), what A got
/// (answers, 429s), and every lost request (B: any failure; A: anything but 200 or 429). Usage: tenants [seconds = 30] [preset = tiny]
/// </summary>
internal sealed class TenantsBenchmark : IBenchmark
{
    private const string Small = """{"input":"a small request from a well-behaved tenant"}""";

    public string Name => "tenants";

    public string Description => "two API keys through `up`: a well-behaved tenant's latency alone and while another floods large requests";

    public int Run(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        var preset = args.Length > 1 ? args[1] : "tiny";
        return RunAsync(seconds, preset).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int seconds, string preset)
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-tenants-").FullName;
        Process? up = null;
        try
        {
            var model = Path.Combine(root, preset);
            RandomModelWriter.Write(model, Gpt2Config.Preset(preset), seed: 1);
            up = LoadBenchmark.StartUp(root, model, RedisServerProcess.FreePort(), new Dictionary<string, string> { ["Gateway__RequireApiKeys"] = "true" });
            var redis = await LoadBenchmark.WaitForLineAsync(up, "redis: ", TimeSpan.FromMinutes(3)).ConfigureAwait(false);
            var gateway = new Uri(await LoadBenchmark.WaitForLineAsync(up, "gateway: ", TimeSpan.FromMinutes(3)).ConfigureAwait(false));
            _ = up.StandardOutput.ReadToEndAsync();
            var password = (await File.ReadAllTextAsync(Path.Combine(root, "secrets", "redis-password")).ConfigureAwait(false)).Trim();
            string keyA, keyB;
            await using (var connector = new RedisConnector(new RedisSettings { Endpoint = redis, Password = password, ClientName = "tenants-benchmark" }))
            {
                // Keys carry the MAC of up's cluster secret, as `keys create` makes them there.
                var cluster = Protocol.Cluster.ClusterSecret.From(null, Path.Combine(root, "secrets", "cluster-secret"));
                var store = new ApiKeyStore(connector, TimeProvider.System, new ApiKeyMac(cluster));
                (keyA, _) = await store.CreateAsync("abusive", 10, 4, ApiKeyRecord.DefaultTokensPerMinute, ApiKeyRecord.DefaultTokensInFlight).ConfigureAwait(false);
                (keyB, _) = await store.CreateAsync("well-behaved", 10, 4, ApiKeyRecord.DefaultTokensPerMinute, ApiKeyRecord.DefaultTokensInFlight).ConfigureAwait(false);
            }
            var large = LargeBody();
            Console.WriteLine($"# model {preset} (seeded), `splitcompute up --workers 2` at {gateway} with Gateway:RequireApiKeys=true; redis {redis} (password)");
            Console.WriteLine($"# both keys: `keys create` defaults (10 requests/s, 4 in flight, {ApiKeyRecord.DefaultTokensPerMinute} tokens/min, {ApiKeyRecord.DefaultTokensInFlight} tokens in flight)");
            Console.WriteLine($"# B: {Small} every 150 ms (under its 10 requests/s); A: 16 connections from another address back to back, {large.Length} bytes each (32 inputs), retrying at once after a 429");
            Console.WriteLine($"# load average before: {LoadBenchmark.LoadAverage()}");

            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
            using var abusive = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, ConnectCallback = From(IPAddress.Parse("127.0.0.2")) })
            {
                BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30),
            };
            await RunTenantBAsync(http, keyB, TimeSpan.FromSeconds(3)).ConfigureAwait(false);  // warm-up
            var alone = await RunTenantBAsync(http, keyB, TimeSpan.FromSeconds(seconds / 2.0)).ConfigureAwait(false);

            using var stopFlood = new CancellationTokenSource();
            var flood = Enumerable.Range(0, 16).Select(_ => FloodAsync(abusive, keyA, large, stopFlood.Token)).ToList();
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);  // let the flood reach its steady state
            var loaded = await RunTenantBAsync(http, keyB, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
            await stopFlood.CancelAsync().ConfigureAwait(false);
            var floods = await Task.WhenAll(flood).ConfigureAwait(false);

            Print("B alone", alone);
            Print("B while A floods", loaded);
            var ok = floods.Sum(f => f.Ok);
            var limited = floods.Sum(f => f.Limited);
            var aLost = floods.Sum(f => f.Other);
            Console.WriteLine($"A: {ok} answered, {limited} refused 429 (its key's limits or its address's rate), {aLost} lost (any other outcome: {string.Join(", ", floods.SelectMany(f => f.OtherKinds).Distinct())})");
            var ratio = loaded.P(95) / alone.P(95);
            var met = ratio <= 1.5 && alone.Failures == 0 && loaded.Failures == 0 && aLost == 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"B p95 under the flood / alone: {ratio:F2}x (target <= 1.5x); lost: B {alone.Failures + loaded.Failures}, A {aLost} (budget 0) -> {(met ? "met" : "MISSED")}"));
            Console.WriteLine($"# load average after: {LoadBenchmark.LoadAverage()}");
            return met ? 0 : 1;
        }
        finally
        {
            if (up is { HasExited: false })
            {
                up.Kill(entireProcessTree: true);
                up.WaitForExit(TimeSpan.FromSeconds(30));
            }
            up?.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static string LargeBody()
    {
        var text = string.Join(' ', Enumerable.Repeat("the abusive tenant sends long texts to keep the workers busy", 16));
        return $"{{\"input\":[{string.Join(',', Enumerable.Repeat($"\"{text}\"", 32))}]}}";
    }

    private sealed record Samples(List<double> Ms, int Failures, List<string> Kinds)
    {
        public double P(double percentile)
        {
            if (Ms.Count == 0) return double.NaN;
            var sorted = Ms.Order().ToList();
            return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
        }
    }

    private static void Print(string name, Samples s) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-18} requests {s.Ms.Count + s.Failures,5}  p50 {s.P(50),7:F2} ms  p95 {s.P(95),7:F2} ms  p99 {s.P(99),7:F2} ms  max {(s.Ms.Count > 0 ? s.Ms.Max() : double.NaN),8:F2} ms  failed {s.Failures}{(s.Kinds.Count > 0 ? " (" + string.Join(", ", s.Kinds.Distinct()) + ")" : "")}"));

    private static async Task<Samples> RunTenantBAsync(HttpClient http, string key, TimeSpan duration)
    {
        var ms = new List<double>();
        var failures = 0;
        var kinds = new List<string>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await SendAsync(http, key, Small, default).ConfigureAwait(false);
                await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                if (response.IsSuccessStatusCode) ms.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                else { failures++; kinds.Add(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)); }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                failures++;
                kinds.Add(ex.GetType().Name);
            }
            var wait = 150 - Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait)).ConfigureAwait(false);
        }
        return new Samples(ms, failures, kinds);
    }

    private sealed record FloodResult(int Ok, int Limited, int Other, List<string> OtherKinds);

    private static async Task<FloodResult> FloodAsync(HttpClient http, string key, string body, CancellationToken stop)
    {
        int ok = 0, limited = 0, other = 0;
        var kinds = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await SendAsync(http, key, body, stop).ConfigureAwait(false);
                await response.Content.ReadAsByteArrayAsync(stop).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) ok++;
                else if (response.StatusCode == HttpStatusCode.TooManyRequests) limited++;
                else { other++; kinds.Add(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)); }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                other++;
                kinds.Add(ex.GetType().Name);
            }
        }
        return new FloodResult(ok, limited, other, kinds);
    }

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> From(IPAddress source) => async (context, token) =>
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
        return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
    };

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string key, string body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        return http.SendAsync(request, cancellationToken);
    }
}
