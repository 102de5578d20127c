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
            $"queue-ms={Ms(p.QueueMs)}, cloud-ms={Ms(p.CloudMs)}, transfer-ms={Ms(p.TransferMs)}, download-ms={Ms(p.DownloadMs)}, " +
            $"load-ms={Ms(p.LoadMs)}, edge-ms={Ms(p.EdgeMs)}, overhead-ms={Ms(p.OverheadMs)}, total-ms={Ms(p.TotalMs)}, cloud-only-ms={Ms(plan.CloudOnly.TotalMs)}, gpu-ms-saved={Ms(plan.GpuMsSaved)}");
    }

    /// <summary>
    /// Milliseconds to 3 decimals, trailing zeros dropped ("4.808", "2.4", "0"): rounding then the shortest round-trip form gives
    /// what the custom format "0.###" gives, at a fraction of its cost (it runs on every response).
    /// </summary>
    public static double Ms(double value) => Math.Round(value, 3);
}
