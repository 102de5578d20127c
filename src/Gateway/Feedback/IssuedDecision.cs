using System.Diagnostics;
using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Feedback;

/// <summary>
/// A split decision as the gateway made it, kept until its feedback arrives: whose it was and the request's real shape, so
/// feedback is read against the gateway's own facts (k, n, B, T, C), never against figures the client could invent.
/// <see cref="Trace"/> is the request's span, so the stages the edge reports later join the same trace. The prediction and the
/// edge model it used are kept too: feedback refits the model from there and is compared with the prediction stage by stage.
/// </summary>
public sealed record IssuedDecision(string ClientId, string Model, int K, int N, int Channels, PlanRequest Request, DateTimeOffset IssuedAt,
    ActivityContext Trace = default)
{
    public EdgeCostModel Edge { get; init; } = EdgeCostModel.FromReported(100, 1, EdgeCostModel.UnknownClientOverheadMs);

    public StagePrediction Predicted { get; init; }

    public double PlannedDownlinkMbps { get; init; }

    /// <summary>The worker's own time for the request (receipt to response, its X-SplitCompute-Worker-Ms), when it said.</summary>
    public double? WorkerTotalMs { get; init; }

    /// <summary>The request's time at the worker spent on other work (total - busy, <see cref="Protocol.Workers.WorkerTiming.WaitMs"/>), when it said.</summary>
    public double? WorkerWaitMs { get; init; }
}
