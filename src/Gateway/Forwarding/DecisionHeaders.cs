using System.Globalization;
using SplitCompute.Gateway.Planning;
using SplitCompute.Protocol.Decisions;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>Formats the decision response headers (docs/protocol.md): which k, which worker, predicted ms per stage.</summary>
public static class DecisionHeaders
{
    /// <summary>k, n, the worker and the decision's id, which edge clients quote in their feedback (POST /v1/feedback).</summary>
    public static string Decision(SplitPlan plan, string workerId, string decisionId) =>
        new DecisionHeader(plan.K, plan.N, workerId, decisionId).Format();

    public static string Predicted(SplitPlan plan)
    {
        var p = plan.Predicted;
        return string.Create(CultureInfo.InvariantCulture,
            $"queue-ms={p.QueueMs:0.###}, cloud-ms={p.CloudMs:0.###}, transfer-ms={p.TransferMs:0.###}, download-ms={p.DownloadMs:0.###}, " +
            $"edge-ms={p.EdgeMs:0.###}, total-ms={p.TotalMs:0.###}, cloud-only-ms={plan.CloudOnly.TotalMs:0.###}, gpu-ms-saved={plan.GpuMsSaved:0.###}");
    }
}
