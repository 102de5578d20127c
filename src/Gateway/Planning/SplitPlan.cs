namespace SplitCompute.Gateway.Planning;

/// <summary>
/// The planner's decision: run layers [0, K) in the cloud and [K, N) at the edge. K = N is cloud-only. <see cref="GpuMsSaved"/>
/// is the cloud time the offloaded layers would have taken; <see cref="GpuWeight"/> is what one such millisecond was worth in
/// latency when the choice was made (it grows with the workers' utilisation).
/// </summary>
public sealed record SplitPlan(int K, int N, StagePrediction Predicted, StagePrediction CloudOnly, double GpuMsSaved, string Reason)
{
    public bool IsCloudOnly => K == N;

    public double GpuWeight { get; init; }
}
