namespace SplitCompute.Gateway.Planning;

/// <summary>A worker's live load as its last heartbeat reported it (milliseconds measured by the worker itself).</summary>
public sealed record WorkerLoad(
    string WorkerId, string Address, string Device,
    double BacklogMs,          // predicted wait before a new request starts
    double MsPerLayerToken,    // EWMA of one block over one token
    double EmbedMsPerToken,    // EWMA of embeddings (+ tokenisation) per token
    int InFlight, int QueueDepth, int Capacity);
