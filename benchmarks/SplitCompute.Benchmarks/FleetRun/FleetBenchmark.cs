using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using SplitCompute.Benchmarks.Gateway;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Model.Config;
using SplitCompute.Model.Init;

namespace SplitCompute.Benchmarks.FleetRun;

/// <summary>
/// Issue 18's fleet benchmark on real parts: `splitcompute up` (redis-server, a worker, the gateway as processes) and long-lived
/// real edge runtimes of four profiles (desktop, laptop, phone: CPU or Dawn tails made slower and links emulated; no-WebGPU:
/// OpenAI JSON), 60% capable, each holding its shards, with open-loop Poisson arrivals at 1, 4, 16 and 64 clients. Compares the
/// planner with cloud-only, a fixed k = N/2 and always-maximum-offload on the same fleet, and measures the queue prediction of
/// 1, 3 and 6 back-to-back clients.
/// Usage: fleet [seconds per run = 20] [clients = 1,4,16,64] [requests/s per client = 0.5] [preset = gpt2] [policies = all]
/// </summary>
internal sealed class FleetBenchmark : IBenchmark
{
    public string Name => "fleet";

    public string Description => "real fleet through `up`: planner vs cloud-only, fixed k, max offload at 1-64 clients; worker ms, latency, prediction error";

    public int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        var loads = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 4, 16, 64];
        var rate = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 0.5;
        var preset = args.Length > 3 ? args[3] : "gpt2";
        var policies = args.Length > 4 && args[4] != "all" ? args[4].Split(',') : FleetPolicy.All;
        return RunAsync(seconds, loads, rate, preset, policies).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(double seconds, int[] loads, double rate, string preset, string[] policies)
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-fleet-").FullName;
        var webGpu = Environment.GetEnvironmentVariable("SPLITCOMPUTE_FLEET_WEBGPU") == "1";
        using var cluster = await LocalUp.StartAsync(root, preset).ConfigureAwait(false);
        try
        {
            var layers = Gpt2Config.Preset(preset).NLayer;
            Console.WriteLine($"# model {preset} ({layers} layers, seeded), `splitcompute up --workers 1` at {cluster.Gateway}; {rate} requests/s per client (Poisson), {seconds} s per run");
            Console.WriteLine($"# profiles cycled {string.Join(", ", ClientProfile.Mix.Select(p => p.Name))}: " +
                              string.Join("; ", ClientProfile.Mix.Distinct().Select(p => $"{p.Name} x{p.Slowdown} slower than this CPU, {p.DownlinkMbps} Mbit/s, {p.RttMs} ms, reports {p.ReportedGflops} GFLOP/s{(p.OnBattery ? ", on battery" : "")}")));
            Console.WriteLine($"# edge tails on {(webGpu ? "Dawn (first desktop) and the CPU" : "the CPU")} of this machine; each capable client first runs one k=0 request (shards held, tail resident), not measured");
            await QueueScenarioAsync(cluster.Gateway, root).ConfigureAwait(false);
            Console.WriteLine();
            Console.WriteLine(FleetReport.Header);
            var all = new List<FleetReport>();
            foreach (var n in loads)
            {
                var clients = await FleetOf(n, cluster.Gateway, root, webGpu, layers).ConfigureAwait(false);
                try
                {
                    FleetReport? cloudOnly = null;
                    foreach (var policy in policies.OrderBy(p => p == "cloud-only" ? 0 : 1))
                    {
                        var report = await RunPolicyAsync(clients, policy, rate, seconds, layers).ConfigureAwait(false);
                        cloudOnly ??= policy == "cloud-only" ? report : null;
                        all.Add(report);
                        Console.WriteLine(report.Row(cloudOnly));
                        Console.WriteLine($"#      split rate by profile: {report.SplitRates()}; totals within 20% of prediction (5th request on): {report.TotalWithin20()}; queue within 30% (or 2 ms): {report.QueueWithin30()}");
                    }
                }
                finally
                {
                    foreach (var c in clients) c.Dispose();
                }
            }
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>n clients of the cycled profiles, each capable one warmed by a k=0 request (shards held, tail resident).</summary>
    private static async Task<List<FleetClient>> FleetOf(int n, Uri gateway, string root, bool webGpu, int layers)
    {
        var clients = new List<FleetClient>();
        string? seed = null;
        for (var i = 0; i < n; i++)
        {
            var profile = ClientProfile.ForIndex(i);
            var cache = Path.Combine(root, $"fleet-{n}-client-{i}");
            if (profile.Capable && seed is not null) ShardSeed.LinkInto(seed, cache);
            var client = new FleetClient(i, profile, gateway, cache, webGpu && i == 0);
            clients.Add(client);
            if (!profile.Capable) continue;
            var warm = await client.SendAsync(["warm the tail"], "max-offload", layers).ConfigureAwait(false);
            if (warm.Failed || warm.FellBack) Console.WriteLine($"# warning: client {i} ({profile.Name}) warm-up {(warm.Failed ? "failed" : "fell back")}");
            seed ??= cache;
        }
        return clients;
    }

    private static async Task<FleetReport> RunPolicyAsync(List<FleetClient> clients, string policy, double rate, double seconds, int layers)
    {
        var records = new List<RequestRecord>();
        var clock = Stopwatch.StartNew();
        var loops = clients.Select(async client =>
        {
            var random = new Random(1_000 + client.Id);
            var pending = new List<Task<RequestRecord>>();
            var next = Exponential(random, rate);
            while (next < seconds)
            {
                var wait = TimeSpan.FromSeconds(next) - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait).ConfigureAwait(false);
                pending.Add(Task.Run(() => client.SendAsync(FleetTexts.Next(random), policy, layers)));
                next += Exponential(random, rate);
            }
            return await Task.WhenAll(pending).ConfigureAwait(false);
        }).ToList();
        foreach (var done in await Task.WhenAll(loops).ConfigureAwait(false)) records.AddRange(done);
        // Open loop: what was offered in `seconds` and finished by now counts; the throughput is over the whole time taken.
        return new FleetReport(policy, clients.Count, Math.Max(seconds, clock.Elapsed.TotalSeconds), records);
    }

    /// <summary>1, 3 and 6 clients sending back to back (closed loop): the queue the gateway predicted against the one the worker measured.</summary>
    private static async Task QueueScenarioAsync(Uri gateway, string root)
    {
        Console.WriteLine("# queue prediction, closed loop (each client sends its next request when its answer arrives), OpenAI JSON, 10 s each:");
        foreach (var concurrent in new[] { 1, 3, 6 })
        {
            var clients = Enumerable.Range(0, concurrent).Select(i => new FleetClient(100 + i, ClientProfile.NoWebGpu with { RttMs = 1, DownlinkMbps = 10_000 }, gateway, root, false)).ToList();
            var records = new List<RequestRecord>();
            var clock = Stopwatch.StartNew();
            var runs = clients.Select(async c =>
            {
                var random = new Random(c.Id);
                var mine = new List<RequestRecord>();
                while (clock.Elapsed < TimeSpan.FromSeconds(10)) mine.Add(await c.SendAsync(FleetTexts.Next(random), "cloud-only", 0).ConfigureAwait(false));
                return mine;
            });
            foreach (var done in await Task.WhenAll(runs).ConfigureAwait(false)) records.AddRange(done);
            foreach (var c in clients) c.Dispose();
            var report = new FleetReport("cloud-only", concurrent, clock.Elapsed.TotalSeconds, records);
            var ok = records.Where(r => !r.Failed && r.WorkerWaitMs is not null && r.PredictedQueueMs is not null).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   {concurrent} client(s): {ok.Count} requests, mean queue predicted {ok.Select(r => r.PredictedQueueMs!.Value).DefaultIfEmpty().Average():F1} ms vs measured at the worker (total - busy) {ok.Select(r => r.WorkerWaitMs!.Value).DefaultIfEmpty().Average():F1} ms; per request within 30% (or 2 ms): {report.QueueWithin30()}"));
        }
    }

    private static double Exponential(Random random, double rate) => -Math.Log(1 - random.NextDouble()) / rate;
}
