using SplitCompute.Gateway.Planning;

namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// One modelled client: its true speeds (its kind's, spread per client), what its headers report (GFLOP/s off by a random
/// factor 0.3x-3x, downlink by 0.7x-1.4x), its shard cache (what it downloaded; the tail of its last split resident), its own
/// open-loop Poisson arrivals and request sizes (a random stream of its own, so every policy sees the same requests), and a
/// second stream for the noise of its edge timings.
/// </summary>
internal sealed class SimClient
{
    private readonly Random _arrivals;
    private readonly Random _noise;
    private ClientProfile? _reported;

    public SimClient(int index, ClientKind kind, double ratePerSecond, int seed, ModelShape model, bool holdsShards)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(model);
        Index = index;
        Id = $"client-{index:x8}";
        Kind = kind;
        RatePerSecond = ratePerSecond;
        var setup = new Random(StreamSeed(seed, index, 1));
        _arrivals = new Random(StreamSeed(seed, index, 2));
        _noise = new Random(StreamSeed(seed, index, 3));
        TrueGflops = kind.Gflops * Spread(setup, 0.7, 1.3);
        TrueDownlinkMbps = kind.DownlinkMbps * Spread(setup, 0.7, 1.3);
        RttMs = kind.RttMs * Spread(setup, 0.8, 1.25);
        ReportedGflops = TrueGflops * LogUniform(setup, 0.3, 3);
        ReportedDownlinkMbps = TrueDownlinkMbps * LogUniform(setup, 0.7, 1.4);
        LoadMsPerMb = kind.LoadMsPerMb * Spread(setup, 0.7, 1.3);
        if (setup.NextDouble() < kind.OnBatteryShare) Energy = new ClientEnergy(OnBattery: true, SaveEnergy: false);
        if (holdsShards) foreach (var shard in model.AllShards) Held.Add(shard);
    }

    public int Index { get; }
    public string Id { get; }
    public ClientKind Kind { get; }
    public double RatePerSecond { get; }
    public double TrueGflops { get; }
    public double TrueDownlinkMbps { get; }
    public double RttMs { get; }
    public double ReportedGflops { get; }
    public double ReportedDownlinkMbps { get; }
    public double LoadMsPerMb { get; }
    public ClientEnergy? Energy { get; }
    public HashSet<string> Held { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Resident { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>Requests this client has sent so far.</summary>
    public int Sent { get; set; }

    /// <summary>When the client's edge device is free (one tail at a time).</summary>
    public double EdgeFreeAtMs { get; set; }

    /// <summary>The profile its capability headers give (the gateway caches the parse per distinct header set; so does this).</summary>
    public ClientProfile? Reported => !Kind.Capable ? null : _reported ??= new ClientProfile(ReportedGflops, Kind.UploadGBps, ReportedDownlinkMbps, RttMs, new HashSet<string>(Held, StringComparer.Ordinal))
    {
        ResidentShards = new HashSet<string>(Resident, StringComparer.Ordinal),
        Energy = Energy,
    };

    public double NextInterarrivalMs() => -Math.Log(1 - _arrivals.NextDouble()) / RatePerSecond * 1_000;

    /// <summary>B in 1..8 sequences of 16..256 tokens each, right-padded to the longest.</summary>
    public PlanRequest NextSize()
    {
        var sequences = _arrivals.Next(1, 9);
        int tokens = 0, longest = 0;
        for (var i = 0; i < sequences; i++)
        {
            var length = _arrivals.Next(16, 257);
            tokens += length;
            longest = Math.Max(longest, length);
        }
        return new PlanRequest(sequences, longest, tokens);
    }

    /// <summary>Multiplicative noise of one edge timing (log-normal, ~10%).</summary>
    public double Noise() => Math.Exp(0.1 * Gaussian(_noise));

    /// <summary>After a split at k: the tail's shards are cached and its weights resident (the previous tail's are released).</summary>
    public void Keep(ModelShape model, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        var resident = new HashSet<string>(StringComparer.Ordinal) { model.Profile.FinalNormHash! };
        for (var l = k; l < model.Layers; l++) resident.Add(model.Profile.LayerShardHashes[l]);
        Held.UnionWith(resident);
        Resident = resident;
        _reported = null;  // its headers change: the next request is parsed afresh
    }

    /// <summary>Bytes of the tail [k, N) plus the final norm, and those of them not held.</summary>
    public (long Bytes, long Missing, bool AllResident) Tail(ModelShape model, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        var p = model.Profile;
        long bytes = p.FinalNormBytes, missing = Held.Contains(p.FinalNormHash!) ? 0 : p.FinalNormBytes;
        var resident = Resident.Contains(p.FinalNormHash!);
        for (var l = k; l < p.Layers; l++)
        {
            bytes += p.LayerShardBytes[l];
            if (!Held.Contains(p.LayerShardHashes[l])) missing += p.LayerShardBytes[l];
            resident &= Resident.Contains(p.LayerShardHashes[l]);
        }
        return (bytes, missing, resident);
    }

    /// <summary>A seed per (run seed, client, stream), the same in every process (HashCode is randomised per process): splitmix64.</summary>
    private static int StreamSeed(int seed, int index, int stream)
    {
        var z = unchecked(((ulong)seed * 0x9E3779B97F4A7C15UL) + ((ulong)index * 0xD1B54A32D192ED03UL) + (ulong)stream);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)(z ^ (z >> 31));
    }

    private static double Spread(Random r, double low, double high) => low + (r.NextDouble() * (high - low));

    private static double LogUniform(Random r, double low, double high) => Math.Exp(Math.Log(low) + (r.NextDouble() * (Math.Log(high) - Math.Log(low))));

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}
