namespace SplitCompute.Gateway.Planning;

/// <summary>
/// Predicted milliseconds of each stage of one request for one split point. <see cref="DownloadMs"/> is the whole download of the
/// missing shards (what this request will wait for); <see cref="LoadMs"/> binds the tail's weights on the edge and
/// <see cref="OverheadMs"/> is the edge's fixed cost per split.
/// </summary>
public readonly record struct StagePrediction(double QueueMs, double CloudMs, double TransferMs, double DownloadMs, double EdgeMs)
{
    public double LoadMs { get; init; }

    public double OverheadMs { get; init; }

    public double TotalMs => QueueMs + CloudMs + TransferMs + DownloadMs + LoadMs + EdgeMs + OverheadMs;
}
