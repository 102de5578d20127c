namespace SplitCompute.Gateway.Planning;

/// <summary>
/// What the planner knows of one client: its link, the shards it holds, and a cost model of its edge (from its capability headers
/// at first, then fitted to its own feedback). Used only to predict this client's own latency: a client that lies can only make
/// its own answers slower, never another client's.
/// </summary>
public sealed record ClientProfile(
    double Gflops,            // sustained matrix-product rate of its GPU, as reported (the edge model's prior)
    double UploadGBps,        // host -> GPU copy rate, as reported (the load model's prior)
    double DownlinkMbps,
    double RttMs,
    IReadOnlySet<string> HeldShards)  // SHA-256 hex digests or prefixes (>= 16 characters) of shards already cached
{
    private EdgeCostModel? _edge;

    /// <summary>Where the figures come from: "reported" (headers) or "measured (...)" (feedback).</summary>
    public string Source { get; init; } = "reported";

    /// <summary>The client's feedback said its edge failed and the cloud answered, recently: plan it cloud-only for now.</summary>
    public bool EdgeFellBackRecently { get; init; }

    /// <summary>Shards whose weights are in the edge's device memory now (X-SplitCompute-Resident): a tail of only these loads nothing.</summary>
    public IReadOnlySet<string> ResidentShards { get; init; } = EmptySet;

    /// <summary>Battery and the user's wish to spare it (X-SplitCompute-Power); null when not sent.</summary>
    public ClientEnergy? Energy { get; init; }

    /// <summary>The edge model was fitted to this client's own feedback (not only its headers).</summary>
    public bool EdgeMeasured { get; init; }

    /// <summary>Requests this client made before this one (for download amortisation); 0 for an unknown client.</summary>
    public long RequestsSeen { get; init; }

    /// <summary>The edge's cost model: fitted to feedback when there is some, otherwise derived from the reported figures.</summary>
    public EdgeCostModel Edge
    {
        get => _edge ?? EdgeCostModel.FromReported(Gflops, UploadGBps, EdgeCostModel.UnknownClientOverheadMs);
        init => _edge = value;
    }

    private static readonly IReadOnlySet<string> EmptySet = new HashSet<string>();
}

/// <summary>The client runs on battery, and whether its user asked to spare it (then its layers stay in the cloud).</summary>
public sealed record ClientEnergy(bool OnBattery, bool SaveEnergy);
