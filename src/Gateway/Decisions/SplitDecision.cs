using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Workers;

namespace SplitCompute.Gateway.Decisions;

/// <summary>
/// One routing decision, as logged to the Redis stream and shown on dashboards. <see cref="Worker"/> timing is what the worker
/// measured for the request (null when it did not answer it): its busy milliseconds, and what the request would have cost it
/// cloud-only, whose difference is the realised saving shown next to the plan's predicted one.
/// </summary>
public sealed record SplitDecision(
    DateTimeOffset Time, string RequestId, string Model, string Worker, int Sequences, int Tokens,
    SplitPlan Plan, int Status, double ObservedMs, string DecisionId = "")
{
    public WorkerTiming? WorkerTiming { get; init; }

    /// <summary>Cloud milliseconds this request really did not spend: the worker's cloud-only estimate minus its measured busy time.</summary>
    public double? RealisedGpuMsSaved => WorkerTiming is { } t ? Math.Max(0, t.FullMs - t.BusyMs) : null;
}
