namespace SplitCompute.Protocol;

/// <summary>
/// Every HTTP header name the protocol uses, in one place so gateway, worker and edge cannot drift apart.
/// HTTP header names are case-insensitive; these spellings are what writers emit.
/// </summary>
public static class HeaderNames
{
    /// <summary>All protocol headers start with this; a request with none of them is a plain OpenAI-style request.</summary>
    public const string Prefix = "X-SplitCompute-";

    // Request (client capability) headers.
    public const string Version = Prefix + "Version";
    public const string Adapter = Prefix + "Adapter";
    public const string Limits = Prefix + "Limits";
    public const string Features = Prefix + "Features";
    public const string Perf = Prefix + "Perf";
    public const string Network = Prefix + "Network";
    public const string Shards = Prefix + "Shards";

    /// <summary>Shards whose weights are loaded in the edge's device memory now (a tail made only of them costs no loading).</summary>
    public const string Resident = Prefix + "Resident";

    /// <summary>On battery or mains, and whether the user asked to spare the battery (<see cref="Capabilities.PowerState"/>).</summary>
    public const string Power = Prefix + "Power";
    public const string Split = Prefix + "Split";

    /// <summary>
    /// The edge client's own random id (<see cref="Feedback.ClientId"/>), on embeddings requests and feedback: the gateway keeps
    /// this client's measured profile under it. It identifies, it does not authenticate.
    /// </summary>
    public const string Client = Prefix + "Client";

    /// <summary>
    /// Gateway to worker only: the served model id the gateway resolved the request's <c>model</c> to (an alias, any case,
    /// name@revision). The gateway replaces whatever a client sent.
    /// </summary>
    public const string ResolvedModel = Prefix + "Model";

    // Gateway to worker only (a client's own values are removed by the gateway).

    /// <summary>The split point the gateway chose: run layers [0, k). Absent: all layers (cloud-only).</summary>
    public const string SplitK = Prefix + "K";

    /// <summary>mean (default) or last.</summary>
    public const string Pooling = Prefix + "Pooling";

    /// <summary>
    /// The fairness label of the request: the id of its API key (never the key), or absent without keys. The worker shares each
    /// batch between labels; it authorises nothing. The gateway replaces whatever a client sent.
    /// </summary>
    public const string Tenant = Prefix + "Tenant";

    /// <summary>On the worker's own loopback warm-up requests: left out of its metrics (honoured from loopback only).</summary>
    public const string WarmUp = Prefix + "Warm-Up";

    // Response headers.

    /// <summary>Which worker answered (set by the worker).</summary>
    public const string Worker = Prefix + "Worker";

    /// <summary>The worker's queue and compute milliseconds of the request, <c>queue-ms=0.310, compute-ms=1.250</c>.</summary>
    public const string WorkerTiming = Prefix + "Worker-Timing";

    /// <summary>One per problem found in the capability headers; the request still succeeds.</summary>
    public const string Warning = Prefix + "Warning";
    public const string Decision = Prefix + "Decision";
    public const string Predicted = Prefix + "Predicted";

    /// <summary>
    /// The worker's measured time for one request (<see cref="Workers.WorkerTiming"/>):
    /// <c>busy=1.250; full=4.800; queue=0.310; total=2.004</c>, on every successful worker answer to /v1/embeddings.
    /// </summary>
    public const string WorkerMs = Prefix + "Worker-Ms";

    /// <summary>
    /// On hidden-state frame answers: what the request's <c>dimensions</c> and <c>normalize</c> (with the model's default) ask of
    /// the pooled embeddings, <c>dimensions=32; normalize=true</c> (<see cref="Embeddings.EmbeddingShaping"/>). Frames carry
    /// embeddings as computed; whoever finishes them (the edge) applies this, so a split answer equals the cloud's.
    /// </summary>
    public const string Shaping = Prefix + "Shaping";

    /// <summary>The capability headers, in the order writers emit them.</summary>
    public static IReadOnlyList<string> CapabilityHeaders { get; } = [Version, Adapter, Limits, Features, Perf, Network, Shards, Resident, Power, Split];
}
