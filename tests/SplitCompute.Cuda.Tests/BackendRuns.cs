using SplitCompute.Model.Forward;

namespace SplitCompute.Cuda.Tests;

/// <summary>Whole-model runs and their comparison on real positions, shared by the GPT-2 and encoder GPU tests.</summary>
internal static class BackendRuns
{
    /// <summary>Embeddings, every block, and the final norm.</summary>
    public static HiddenState Whole(ILayerRangeBackend backend, TokenBatch batch)
    {
        var hidden = backend.Embed(batch);
        backend.RunLayers(hidden, 0, backend.Shape.Layers);
        backend.ApplyFinalNorm(hidden);
        return hidden;
    }

    /// <summary>Largest |a - b| over the positions the batch's mask marks real (padding is unspecified).</summary>
    public static double MaxDifferenceOnValid(HiddenState a, HiddenState b)
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
