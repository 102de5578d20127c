namespace SplitCompute.Gateway.Planning;

/// <summary>Predicted milliseconds of each stage of one request for one split point.</summary>
public readonly record struct StagePrediction(double QueueMs, double CloudMs, double TransferMs, double DownloadMs, double EdgeMs)
{
    public double TotalMs => QueueMs + CloudMs + TransferMs + DownloadMs + EdgeMs;
}
