using System.Diagnostics;
using System.Globalization;

namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// Issue 18 item 6's simulator: discrete events, modelled workers and clients, the REAL gateway-side classes (SplitPlanner,
/// WorkerSelector, OwnRequestLedger, ClientProfileStore, PlanningProfile, OutstandingDecisions) on a simulated clock. Compares
/// planner, cloud-only, fixed-k and max-offload on identical arrivals (same seed). Scenarios: load (cold shard caches; 1, 4, 16
/// and 64 clients per worker), capable60 (capable clients hold every shard: the issue's target, with throughput at saturation),
/// gpu (capable60 on CUDA workers with gpt2-xl), scale (10,000 clients, 100 workers: the planner's own wall-clock cost).
/// </summary>
internal sealed class FleetSimBenchmark : IBenchmark
{
    private static readonly int[] ClientsPerWorker = [1, 4, 16, 64];

    public string Name => "fleet-sim";

    public string Description => "discrete-event fleet simulator driving the real SplitPlanner: policies, load, saturation, planner cost";

    public int Run(string[] args)
    {
        var options = FleetSimOptions.Parse(args);
        if (options is null) return 2;
        Console.WriteLine($"# fleet-sim: seed {options.Seed}, scenario {options.Scenario}; rates: cloud-only utilisation 1.5 at 64 clients per worker (0.023 at 1); " +
                          $"k = 0 {(options.EmbedsInQueue ? "queued behind the device's passes (--embeds-in-queue)" : "answered from host memory, outside the device queue")}");
        var wall = Stopwatch.StartNew();
        if (options.Runs("load")) LoadScenario("load", "gpt2", "cpu", options, holdShards: false, saturation: false, clientsPerUnit: 1, defaultWorkers: 10, maxSeconds: 1e9);
        if (options.Runs("capable60")) LoadScenario("capable60", "gpt2", "cpu", options, holdShards: true, saturation: true, clientsPerUnit: 1, defaultWorkers: 10, maxSeconds: 1e9);
        if (options.Runs("gpu")) LoadScenario("gpu", "gpt2-xl", "gpu", options, holdShards: true, saturation: true, clientsPerUnit: 50, defaultWorkers: 2, maxSeconds: 300);
        if (options.Runs("scale")) Scale(options);
        Console.WriteLine($"# fleet-sim done in {wall.Elapsed.TotalSeconds:F0} s wall");
        return 0;
    }

    /// <param name="clientsPerUnit">Clients per unit of "clients per worker": a GPU worker is ~100x a CPU one, so one unit is 50 clients
    /// there (a client sending 3 requests/s would measure its own edge, not the fleet).</param>
    private static void LoadScenario(string name, string modelName, string device, FleetSimOptions options, bool holdShards, bool saturation,
        int clientsPerUnit, int defaultWorkers, double maxSeconds)
    {
        var model = ModelShape.ByName(modelName);
        var speed = model.Speed(device);
        var aloneMs = FleetConfig.MeanCloudOnlyMs(model, speed, options.Seed);
        var workers = options.Workers ?? defaultWorkers;
        var seconds = Math.Min(options.Seconds ?? 1800, maxSeconds);
        var ratePerClient = 1.5 / (64 * clientsPerUnit * aloneMs / 1_000);
        Console.WriteLine();
        Console.WriteLine($"## scenario {name}: {model.Profile.Model} ({model.Layers} x {model.Profile.Channels}) on {workers} {device} workers " +
                          $"({speed.MsPerLayerRow} ms per layer-row + {speed.LayerFixedMs} ms per layer per pass); clients 20% phone, 20% laptop, 20% desktop, 40% no WebGPU; " +
                          $"capable clients {(holdShards ? "hold every shard from the start (tails not resident)" : "start with empty shard caches")}, no prefetch; " +
                          $"{PerUnit(clientsPerUnit)}{seconds:F0} s of arrivals, {ratePerClient:F4} requests/s per client; a cloud-only request alone costs {aloneMs:F1} worker ms on average");
        PrintHeader();
        var slo = options.LatencySloMs;
        foreach (var perWorker in ClientsPerWorker)
        {
            var config = new FleetConfig(model, device, workers, perWorker * workers * clientsPerUnit, ratePerClient, seconds, options.Seed, FleetConfig.Capable60, holdShards)
            {
                DrainSeconds = 3_600, EmbedsOutsideQueue = !options.EmbedsInQueue,
            };
            var cloud = FleetRun.Execute(config, Policy.CloudOnly);
            if (slo is null)
            {
                slo = Percentiles.Of(cloud.Requests.Select(r => r.EndToEndMs), 95);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#   planner+slo: latency objective {slo:F0} ms (this scenario's cloud-only p95 at its lowest load)"));
            }
            config = config with { LatencySloMs = slo.Value };
            var runs = Policies.All.Select(p => p == Policy.CloudOnly ? cloud : FleetRun.Execute(config, p)).ToList();
            foreach (var run in runs) PrintRow($"{perWorker}/worker", PolicySummary.Of(run, cloud));
            if (holdShards) Targets(perWorker, runs, cloud);
            NeverSplit(perWorker, runs.Single(r => r.Policy == Policy.Planner));
        }
        if (!saturation) return;
        var capacity = workers / aloneMs * 1_000;
        var satClients = Math.Max(64 * workers * clientsPerUnit, options.Clients ?? 0);
        var satSeconds = options.SaturationSeconds ?? Math.Min(seconds, 300);  // long enough for a queue that plateaus to show it
        var template = new FleetConfig(model, device, workers, satClients, 0, satSeconds, options.Seed, FleetConfig.Capable60, holdShards)
        {
            DrainSeconds = 600, EmbedsOutsideQueue = !options.EmbedsInQueue, LatencySloMs = slo ?? 0,
        };
        Console.WriteLine($"# throughput at saturation ({satClients} clients, {satSeconds:F0} s per step, rate x1.15 a step from {0.5 * capacity:F2} requests/s = half the nominal cloud-only capacity):");
        var found = Policies.All.ToDictionary(p => p, p => Saturation.Find(template, p, 0.5 * capacity, aloneMs).Rate);
        foreach (var (policy, rate) in found)
            Console.WriteLine($"   {policy.Name(),-12} {rate,8:F2} requests/s  ({rate / found[Policy.CloudOnly]:F2}x cloud-only)");
        foreach (var policy in (Policy[])[Policy.Planner, Policy.PlannerSlo])
        {
            Console.WriteLine($"# target throughput {policy.Name()} >= 1.5x cloud-only: {(found[policy] >= 1.5 * found[Policy.CloudOnly] ? "MET" : "MISSED")} " +
                              $"({found[policy]:F2} vs {found[Policy.CloudOnly]:F2} requests/s = {found[policy] / found[Policy.CloudOnly]:F2}x)");
        }
    }

    private static string PerUnit(int clientsPerUnit) => clientsPerUnit == 1 ? "" : $"one load unit = {clientsPerUnit} clients; ";

    /// <summary>Why capable clients stay in the cloud under the planner: those that never split, by how their headers under- or over-report.</summary>
    private static void NeverSplit(int perWorker, RunResult planner)
    {
        var parts = new List<string>();
        foreach (var kind in ClientKind.All.Where(k => k.Capable))
        {
            var clients = planner.Requests.Where(r => r.Kind == kind).GroupBy(r => r.Client).ToList();
            if (clients.Count == 0) continue;
            var under = clients.Where(c => c.First().ReportedOverTrueGflops < 1).ToList();
            var over = clients.Where(c => c.First().ReportedOverTrueGflops >= 1).ToList();
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{kind.Name} {under.Count(c => c.All(r => !r.Split))}/{under.Count} under-reporting, {over.Count(c => c.All(r => !r.Split))}/{over.Count} over-reporting"));
        }
        Console.WriteLine($"#   planner at {perWorker}/worker, capable clients that never split: {string.Join("; ", parts)}");
    }

    private static void Targets(int perWorker, List<RunResult> runs, RunResult cloud)
    {
        foreach (var policy in (Policy[])[Policy.Planner, Policy.PlannerSlo])
        {
            var planner = PolicySummary.Of(runs.Single(r => r.Policy == policy), cloud);
            var ms = planner.WorkerRatio <= 0.5;
            var p95 = planner.P95Ratio <= 1.1;
            Console.WriteLine($"#   target at {perWorker}/worker: {policy.Name()} worker ms/request {planner.WorkerRatio:F2}x cloud-only (<= 0.5: {(ms ? "MET" : "MISSED")}), " +
                              $"p95 {planner.P95Ratio:F2}x cloud-only's (<= 1.1: {(p95 ? "MET" : "MISSED")})");
        }
        Floor(runs, cloud);
    }

    /// <summary>
    /// What bounds the worker-ms ratio from below in this fleet, measured on the runs themselves: the cloud-only worker ms of the
    /// requests that cannot split (no WebGPU), then of phones too, and what splitting costs a phone (its own p95 at max-offload
    /// against cloud-only).
    /// </summary>
    private static void Floor(List<RunResult> runs, RunResult cloud)
    {
        var total = cloud.Requests.Sum(r => r.WorkerBusyMs);
        double Share(Func<ClientKind, bool> kinds) => cloud.Requests.Where(r => kinds(r.Kind)).Sum(r => r.WorkerBusyMs) / total;
        static double PhoneP95(RunResult run) => Percentiles.Of(run.Requests.Where(r => r.Kind == ClientKind.Phone).Select(r => r.EndToEndMs), 95);
        var maxOffload = runs.Single(r => r.Policy == Policy.MaxOffload);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"#   floor: no-WebGPU requests are {Share(k => !k.Capable):F2}x of cloud-only worker ms, with phones {Share(k => !k.Capable || k == ClientKind.Phone):F2}x; " +
            $"a phone that always splits (max-offload) has p95 {PhoneP95(maxOffload) / PhoneP95(cloud):F2}x its cloud-only p95"));
    }

    private static void Scale(FleetSimOptions options)
    {
        var model = ModelShape.Gpt2Xl;
        const string Device = "gpu";
        var speed = model.Speed(Device);
        var workers = options.Workers ?? 100;
        var clients = options.Clients ?? 10_000;
        var aloneMs = FleetConfig.MeanCloudOnlyMs(model, speed, options.Seed);
        var seconds = options.Seconds ?? 10;
        var total = 0.6 * workers / aloneMs * 1_000;
        var config = new FleetConfig(model, Device, workers, clients, total / clients, seconds, options.Seed, FleetConfig.Capable60, CapableHoldShards: true)
        {
            MeasureCost = true, DrainSeconds = 600, EmbedsOutsideQueue = !options.EmbedsInQueue, LatencySloMs = options.LatencySloMs ?? 0,
        };
        Console.WriteLine();
        Console.WriteLine($"## scenario scale: {clients} clients, {workers} {Device} workers, {model.Profile.Model}; capable clients hold their shards; " +
                          $"{total:F0} requests/s (cloud-only utilisation 0.6), {seconds:F0} s of arrivals");
        PrintHeader();
        // planner+slo only with an objective given (--slo-ms): without one it is the planner again.
        var runs = Policies.All.Where(p => p != Policy.PlannerSlo || options.LatencySloMs is not null).Select(p => FleetRun.Execute(config, p)).ToList();
        var cloud = runs.Single(r => r.Policy == Policy.CloudOnly);
        foreach (var run in runs) PrintRow("scale", PolicySummary.Of(run, cloud));
        var planner = runs.Single(r => r.Policy == Policy.Planner);
        static double Us(IEnumerable<long> ticks, double p) => Percentiles.Of(ticks.Select(t => t * 1e6 / Stopwatch.Frequency), p);
        Console.WriteLine($"# planner cost over {planner.PlanTicks.Count} decisions at {clients} clients / {workers} workers (wall clock, Stopwatch, this machine):");
        Console.WriteLine($"   SplitPlanner.Plan          p50 {Us(planner.PlanTicks, 50),7:F2} us  p99 {Us(planner.PlanTicks, 99),7:F2} us  p99.9 {Us(planner.PlanTicks, 99.9),7:F2} us");
        Console.WriteLine($"   whole decision             p50 {Us(planner.DecisionTicks, 50),7:F2} us  p99 {Us(planner.DecisionTicks, 99),7:F2} us  p99.9 {Us(planner.DecisionTicks, 99.9),7:F2} us  " +
                          "(PlanningProfile.Resolve + ClientProfileStore.Seen, WorkerSelector over all workers with the ledger's queue, ToLoad, Plan, ledger ticket)");
        var planP99 = Us(planner.PlanTicks, 99);
        var decisionP99 = Us(planner.DecisionTicks, 99);
        Console.WriteLine($"# target planning p99 < 50 us at {clients} clients: Plan {(planP99 < 50 ? "MET" : "MISSED")} ({planP99:F1} us), whole decision {(decisionP99 < 50 ? "MET" : "MISSED")} ({decisionP99:F1} us)");
        Console.WriteLine($"# simulator: {runs.Sum(r => r.Events)} events in {runs.Sum(r => r.WallSeconds):F1} s wall over the {runs.Count} policies");
    }

    private static void PrintHeader() =>
        Console.WriteLine("load       policy       requests  wkr_ms/req (x cloud)  p50_ms   p95_ms   p99_ms  p95 x cloud  split phone/laptop/desktop  mean_k  saved real/pred (ms/req)  " +
                          "pred+-20% 1st/5th/20th/all/splits   queue pred/sim mean_ms  within30%  |err|p50_ms  util");

    private static void PrintRow(string load, PolicySummary s)
    {
        static string P(double v) => double.IsNaN(v) ? "  - " : string.Create(CultureInfo.InvariantCulture, $"{v * 100,3:F0}%");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{load,-10} {s.Policy.Name(),-12} {s.Requests,8}{(s.Unfinished > 0 ? "+" + s.Unfinished : ""),-6} {s.WorkerMsPerRequest,8:F1} ({s.WorkerRatio,4:F2}x) " +
            $"{s.P50,8:F0} {s.P95,8:F0} {s.P99,8:F0}  {s.P95Ratio,6:F2}x     {P(s.SplitRate["phone"])}/{P(s.SplitRate["laptop"])}/{P(s.SplitRate["desktop"])}          " +
            $"{s.MeanK,5:F1}  {(double.IsNaN(s.SavingsRatio) ? "   -" : s.SavingsRatio.ToString("F2", CultureInfo.InvariantCulture)),5} ({s.RealisedSavedMsPerRequest,6:F1}/{s.PredictedSavedMsPerRequest,6:F1})     " +
            $"{P(s.Within20First)}/{P(s.Within20Fifth)}/{P(s.Within20Twentieth)}/{P(s.Within20All)}/{P(s.Within20Splits)}        " +
            $"{s.PredictedQueueMean,7:F0}/{s.EffectiveQueueMean,7:F0}/{s.QueueMean,7:F0}  {P(s.QueueWithin30)}    {s.QueueMedianAbsErrorMs,8:F1}  {s.Utilisation,4:F2}"));
    }
}
