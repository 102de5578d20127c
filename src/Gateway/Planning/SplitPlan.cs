namespace SplitCompute.Gateway.Planning;

/// <summary>The planner's decision: run layers [0, K) in the cloud and [K, N) at the edge. K = N is cloud-only.</summary>
public sealed record SplitPlan(int K, int N, StagePrediction Predicted, StagePrediction CloudOnly, double GpuMsSaved, string Reason)
{
    public bool IsCloudOnly => K == N;
}
