namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// One simulated fleet: the model and worker device, N workers, the clients (their kinds by share, and whether capable ones hold
/// every shard from the start), each client's Poisson rate, the simulated seconds of arrivals and the seed.
/// </summary>
internal sealed record FleetConfig(
    ModelShape Model, string Device, int Workers, int Clients, double RatePerClient, double Seconds, int Seed,
    IReadOnlyList<(ClientKind Kind, double Share)> Mix, bool CapableHoldShards)
{
    /// <summary>60% capable (phone, laptop, desktop in equal parts), 40% without WebGPU.</summary>
    public static IReadOnlyList<(ClientKind Kind, double Share)> Capable60 { get; } =
        [(ClientKind.Phone, 0.2), (ClientKind.Laptop, 0.2), (ClientKind.Desktop, 0.2), (ClientKind.NoWebGpu, 0.4)];

    /// <summary>Measure the wall-clock cost of the gateway side (Plan and the whole decision).</summary>
    public bool MeasureCost { get; init; }

    /// <summary>The latency objective the planner+slo policy is configured with (Planner:LatencySloMs).</summary>
    public double LatencySloMs { get; init; }

    /// <summary>Simulated milliseconds after the last arrival allowed for the fleet to drain.</summary>
    public double DrainSeconds { get; init; } = 600;

    /// <summary>Workers answer k = 0 from host memory, outside the device queue, as the real worker does (false: as before the eleventh session).</summary>
    public bool EmbedsOutsideQueue { get; init; } = true;

    public double TotalRate => RatePerClient * Clients;

    public DeviceSpeed Speed => Model.Speed(Device);

    /// <summary>The kind of client <paramref name="index"/>: the mix in exact proportions, interleaved (deterministic, seed-free).</summary>
    public ClientKind KindOf(int index)
    {
        // Golden-ratio low-discrepancy sequence: any prefix of clients has the mix's proportions.
        var u = (index * 0.6180339887498949) % 1.0;
        var acc = 0.0;
        foreach (var (kind, share) in Mix)
        {
            acc += share;
            if (u < acc) return kind;
        }
        return Mix[^1].Kind;
    }

    /// <summary>Mean device ms of a request alone, cloud-only (Monte Carlo of the size distribution): to set rates by load.</summary>
    public static double MeanCloudOnlyMs(ModelShape model, DeviceSpeed speed, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(speed);
        var probe = new SimClient(0, ClientKind.NoWebGpu, 1, seed, model, holdsShards: false);
        var sum = 0.0;
        const int Samples = 20_000;
        for (var i = 0; i < Samples; i++)
        {
            var size = probe.NextSize();
            sum += speed.AloneMs(size.Tokens, size.Rows, model.Layers);
        }
        return sum / Samples;
    }
}
