using System.Globalization;
using SplitCompute.Gateway.Planning;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>Formats the decision response headers (docs/protocol.md): which k, which worker, predicted ms per stage.</summary>
public static class DecisionHeaders
{
    public static string Decision(SplitPlan plan, string workerId) =>
        string.Create(CultureInfo.InvariantCulture, $"k={plan.K}; n={plan.N}; worker=\"{workerId}\"");

    public static string Predicted(SplitPlan plan)
    {
        var p = plan.Predicted;
        return string.Create(CultureInfo.InvariantCulture,
            $"queue-ms={p.QueueMs:0.###}, cloud-ms={p.CloudMs:0.###}, transfer-ms={p.TransferMs:0.###}, download-ms={p.DownloadMs:0.###}, " +
            $"edge-ms={p.EdgeMs:0.###}, total-ms={p.TotalMs:0.###}, cloud-only-ms={plan.CloudOnly.TotalMs:0.###}, gpu-ms-saved={plan.GpuMsSaved:0.###}");
    }
}
