using System.Globalization;
using SplitCompute.Cuda.Blas;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Chooses a new workspace's kernels once, at its warm-up, before any graph of its shape is captured: each product's fastest
/// candidate timed alone (<see cref="BlockProduct.Tune"/>), then optionally the block's settings timed together in whole
/// blocks. Both cycle over several blocks' weights, so that each candidate reads them from HBM, as in a forward pass.
/// Legend: R rows of the workspace's bucket, C channels.
/// </summary>
internal static class WorkspaceTuning
{
    /// <summary>Blocks whose weights the tuning cycles over (gpt2-xl: 8 x 61 MB, far beyond L2).</summary>
    public const int Layers = 8;

    /// <summary>A change in the block must win by 0.3 % of a block (medians of 9 replays vary by ~0.1 %).</summary>
    private const double BlockMargin = 0.003;

    /// <param name="layers">The blocks to time over (at most <see cref="Layers"/>, at least one).</param>
    /// <param name="inBlock">After timing products alone, tune the block's settings on whole blocks (<see cref="CudaBackendOptions.TuneInBlock"/>).</param>
    /// <param name="enqueueBlock">Enqueues one whole block on <paramref name="ws"/> with the given block's weights; must not synchronise.</param>
    public static void Tune(CudaContext context, CudaWorkspace ws, CudaLayerWeights[] layers, bool inBlock, bool dependentLaunchAvailable,
                            Action<CudaLayerWeights> enqueueBlock)
    {
        ws.QkvProduct.Tune([.. layers.Select(w => new LtOperands(ws.Normed.Pointer, w.QkvWeight.Pointer, w.QkvBias.Pointer, ws.Qkv.Pointer))], 0f);          // (R, C) . (C, 3C)
        ws.ProjProduct.Tune([.. layers.Select(w => new LtOperands(ws.Attention.Pointer, w.ProjWeight.Pointer, w.ProjBias.Pointer, ws.X.Pointer))], 1f);      // x += (R, C) . (C, C)
        ws.FcProduct.Tune([.. layers.Select(w => new LtOperands(ws.Normed.Pointer, w.FcWeight.Pointer, w.FcBias.Pointer, ws.Mlp.Pointer))], 0f);            // (R, C) . (C, 4C)
        ws.FcProjProduct.Tune([.. layers.Select(w => new LtOperands(ws.Mlp.Pointer, w.FcProjWeight.Pointer, w.FcProjBias.Pointer, ws.X.Pointer))], 1f);    // x += (R, 4C) . (4C, C)
        if (inBlock) TuneInBlock(context, ws, layers, dependentLaunchAvailable, enqueueBlock);
        // The residual products added into x while they were timed.
        CuDriver.Check(CuDriver.MemsetD8Async(ws.X.Pointer, 0, (nuint)ws.X.Bytes, context.Stream), "zero x after tuning");
    }

    /// <summary>
    /// Each product was tuned alone, launch after launch of itself; in a block it follows LayerNorm or attention, small kernels
    /// beside which our product's CTAs can already be resident and loading weights (programmatic dependent launch), which no
    /// cuBLASLt kernel does. So the block's settings, dependent launch of LayerNorm and attention and each product's kernel
    /// among those near the fastest alone, are tuned one at a time on whole blocks (a graph over the tuning blocks'
    /// weights); a change stays where it beats the timing's noise. What was tried and chosen lands in
    /// <see cref="CudaWorkspace.BlockTuning"/>.
    /// </summary>
    private static void TuneInBlock(CudaContext context, CudaWorkspace ws, CudaLayerWeights[] layers, bool dependentLaunchAvailable,
                                    Action<CudaLayerWeights> enqueueBlock)
    {
        ITunableChoice[] choices = [new DependentLaunchChoice(ws, dependentLaunchAvailable), ws.QkvProduct, ws.ProjProduct, ws.FcProduct, ws.FcProjProduct];
        double BlockMs() => GraphTiming.MsPerLaunch(context, $"tuning blocks {ws.Shape}", layers.Length, i => enqueueBlock(layers[i]), replays: 9);
        var inv = CultureInfo.InvariantCulture;
        var notes = new List<string>();
        foreach (var o in CoordinateTuning.Run(choices, BlockMs, BlockMargin))
        {
            var choice = choices[o.Choice];
            notes.Add(string.Create(inv, $"pass {o.Pass + 1}, {choice.Label} {choice.OptionName(o.Option)}: {o.Ms * 1000:F1} against {o.BestBeforeMs * 1000:F1} us{(o.Kept ? ", kept" : "")}"));
        }
        ws.BlockTuning = notes.Count == 0 ? "nothing to tune in the block"
            : $"{string.Join("; ", notes)}; chosen: {string.Join(", ", choices.Where(c => c.Count > 0).Select(c => $"{c.Label} {c.OptionName(c.Current)}"))}";
    }
}
