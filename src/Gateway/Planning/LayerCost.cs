namespace SplitCompute.Gateway.Planning;

/// <summary>Floating-point work of one GPT-2 block for a request; shared by the planner and by the feedback that measures it.</summary>
public static class LayerCost
{
    /// <summary>Matrix products 24 R C^2 (qkv 6, proj 2, fc 8, fc-proj 8) plus attention ~2 B T^2 C (causal half of QK^T and PV).</summary>
    public static double Flops(int channels, PlanRequest request) =>
        (24.0 * request.Rows * channels * channels) + (2.0 * request.Sequences * request.PaddedLength * (double)request.PaddedLength * channels);
}
