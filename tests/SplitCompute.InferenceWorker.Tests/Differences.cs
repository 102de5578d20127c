using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

internal static class Differences
{
    /// <summary>Largest |a - b| over the positions whose mask is 1 (padded positions hold anything).</summary>
    public static double MaxOnValid(HiddenState a, HiddenState b)
    {
        var c = a.Channels;
        var max = 0.0;
        for (var row = 0; row < a.Batch.Mask.Length; row++)
        {
            if (a.Batch.Mask[row] == 0) continue;
            for (var i = row * c; i < (row + 1) * c; i++) max = Math.Max(max, Math.Abs(a.Data[i] - b.Data[i]));
        }
        return max;
    }
}
