using System.Globalization;

namespace SplitCompute.Benchmarks.Fleet;

/// <summary>fleet-sim [--clients N] [--workers W] [--seconds S] [--saturation-seconds S] [--embeds-in-queue] [--slo-ms MS] [--seed X] [--scenario all|load|capable60|gpu|scale[,...]]</summary>
internal sealed record FleetSimOptions(int? Clients, int? Workers, double? Seconds, int Seed, IReadOnlySet<string> Scenarios)
{
    private static readonly string[] Known = ["load", "capable60", "gpu", "scale"];

    /// <summary>
    /// Latency objective of the planner+slo policy (--slo-ms); null: the scenario's cloud-only p95 at its lowest load, i.e. an
    /// operator who keeps the latency their cloud-only fleet gives when quiet and asks for the GPU time back.
    /// </summary>
    public double? LatencySloMs { get; init; }

    public string Scenario => string.Join(",", Scenarios);

    /// <summary>Seconds of arrivals per step of the saturation search (default 300: 60 read a queue still climbing to its plateau as unbounded).</summary>
    public double? SaturationSeconds { get; init; }

    /// <summary>Model workers that queue k = 0 behind the device's passes (the worker before the eleventh session), for comparison.</summary>
    public bool EmbedsInQueue { get; init; }

    public bool Runs(string scenario) => Scenarios.Contains(scenario);

    public static FleetSimOptions? Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int? clients = null, workers = null;
        double? seconds = null, saturationSeconds = null;
        var embedsInQueue = false;
        double? slo = null;
        var seed = 18;
        var scenarios = new HashSet<string>(Known, StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--clients" when value is not null: clients = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--workers" when value is not null: workers = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--seconds" when value is not null: seconds = double.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--saturation-seconds" when value is not null: saturationSeconds = double.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--embeds-in-queue": embedsInQueue = true; break;
                case "--slo-ms" when value is not null: slo = double.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--seed" when value is not null: seed = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--scenario" when value is not null:
                    scenarios = value == "all" ? new HashSet<string>(Known, StringComparer.Ordinal) : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries)];
                    i++;
                    break;
                default:
                    return Usage($"unknown or incomplete argument '{args[i]}'");
            }
        }
        var unknown = scenarios.Where(s => !Known.Contains(s)).ToList();
        return unknown.Count > 0 ? Usage($"unknown scenario(s) {string.Join(", ", unknown)}") : new FleetSimOptions(clients, workers, seconds, seed, scenarios) { SaturationSeconds = saturationSeconds, EmbedsInQueue = embedsInQueue, LatencySloMs = slo };
    }

    private static FleetSimOptions? Usage(string problem)
    {
        Console.Error.WriteLine($"fleet-sim: {problem}");
        Console.Error.WriteLine("usage: fleet-sim [--clients N] [--workers W] [--seconds S] [--saturation-seconds S] [--embeds-in-queue] [--slo-ms MS] [--seed X] [--scenario all|load|capable60|gpu|scale[,...]]");
        return null;
    }
}
