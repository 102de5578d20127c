namespace SplitCompute.Benchmarks.Fleet;

/// <summary>What happened to one request, and what the gateway had predicted for it.</summary>
internal readonly record struct RequestRecord(
    ClientKind Kind,
    int Client,
    double ReportedOverTrueGflops,  // how far the client's headers are off (0.3x-3x)
    int ClientRequestIndex,     // 1 = the client's first request
    int K,
    int N,
    double SentMs,
    double EndToEndMs,          // sent -> embedding at the client (edge tail included)
    double PredictedTotalMs,
    double PredictedQueueMs,
    double QueueMs,             // the worker's real wait before its pass started
    double EffectiveQueueMs,    // worker arrival -> answer, less the request's own cost alone: what the planner's queue term stands for
    double WorkerBusyMs,        // device ms attributed to it
    double PredictedGpuSavedMs,
    double EdgeWaitMs)          // waiting for the client's own edge (a previous tail still running)
{
    public bool Split => K < N;
}
