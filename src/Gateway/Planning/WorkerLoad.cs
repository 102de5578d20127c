namespace SplitCompute.Gateway.Planning;

/// <summary>
/// A worker's load as the planner sees it. <see cref="QueueMs"/> is the gateway's prediction of how long a request sent now waits
/// before it starts (<see cref="Workers.QueuePrediction"/>: the worker's reported schedule, drained since, and this gateway's own
/// requests in flight); <see cref="Utilisation"/> is how busy the GPUs serving the model have been (0..1), which sets how much
/// a millisecond of GPU time is worth.
/// </summary>
public sealed record WorkerLoad(
    string WorkerId, string Address, string Device,
    double QueueMs,            // predicted wait before a new request starts
    double MsPerLayerToken,    // EWMA of one block over one row
    double EmbedMsPerToken,    // EWMA of embeddings (+ tokenisation) per token
    int InFlight, int QueueDepth, int Capacity)
{
    /// <summary>Fraction of recent wall time the serving devices were busy (heartbeats' busy_fraction), 0 when unknown.</summary>
    public double Utilisation { get; init; }

    /// <summary>The worker answers k = 0 (embeddings only) at once, without the device queue (heartbeats' embeds_outside_queue).</summary>
    public bool EmbedsOutsideQueue { get; init; }
}
