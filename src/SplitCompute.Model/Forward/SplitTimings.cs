namespace SplitCompute.Model.Forward;

/// <summary>Wall-clock milliseconds of each stage of one split forward pass.</summary>
public sealed record SplitTimings(double EmbedMs, double HeadMs, double TailMs, double FinishMs)
{
    public double TotalMs => EmbedMs + HeadMs + TailMs + FinishMs;
}
