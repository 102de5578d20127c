using SplitCompute.Cuda.Blas;
using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;
using SplitCompute.Cuda.Kernels;

namespace SplitCompute.Cuda.Backend;

/// <summary>
/// Everything one padded shape needs, allocated once and kept (graphs captured for this shape point into these buffers):
/// activations on the GPU, pinned host staging for the hidden state, and the four planned products of a block at R rows
/// (cuBLASLt's, or on Hopper at fp16 our own where tuning finds it faster).
/// Legend: B, T the bucket's batch and tokens, R = B * T, C channels, I the MLP's inner width (GPT-2: 4C); X = the product
/// precision (fp16 or fp32).
/// </summary>
internal sealed class CudaWorkspace : IDisposable
{
    public CudaWorkspace(LtHandle lt, HopperProducts? hopper, int forcedSplit, ShapeBucket shape, int c, CudaPrecision precision, bool fuseGelu, bool transposedWeights,
                         int? inner = null)
    {
        var i = inner ?? 4 * c;
        Shape = shape;
        long r = shape.Rows;
        var x = precision == CudaPrecision.Float16 ? 2 : 4;
        var xType = precision == CudaPrecision.Float16 ? CublasLt.DataFloat16 : CublasLt.DataFloat32;
        var label = $"workspace {shape}";
        X = DeviceBuffer.Allocate(r * c * 4, label + " x");               // (R, C) fp32 residual stream
        Normed = DeviceBuffer.Allocate(r * c * x, label + " normed");     // (R, C) X
        Qkv = DeviceBuffer.Allocate(r * 3 * c * x, label + " qkv");       // (R, 3C) X
        Attention = DeviceBuffer.Allocate(r * c * x, label + " att");     // (R, C) X
        Mlp = DeviceBuffer.Allocate(r * i * x, label + " mlp");           // (R, I) X
        Mask = DeviceBuffer.Allocate(r, label + " mask");                 // (B, T) u8
        Ids = DeviceBuffer.Allocate(r * 4, label + " ids");               // (B, T) i32
        HostX = PinnedBuffer.Allocate(r * c * 4, label + " host x");
        HostMask = PinnedBuffer.Allocate(r, label + " host mask");
        HostIds = PinnedBuffer.Allocate(r * 4, label + " host ids");
        var rows = shape.Rows;
        // Our kernels take fp16 operands with W stored (N, K): the transposed weights.
        var own = precision == CudaPrecision.Float16 && transposedWeights ? hopper : null;
        var fc = fuseGelu ? LtEpilogue.GeluBias : LtEpilogue.Bias;
        QkvProduct = new BlockProduct(new LtMatmul(lt, "qkv", rows, 3 * c, c, xType, xType, LtEpilogue.Bias, transposedWeights),                      // (R, C) . (C, 3C)
            own, SkinnyEpilogue.Bias, rows, 3 * c, c, forcedSplit);
        ProjProduct = new BlockProduct(new LtMatmul(lt, "attn.c_proj", rows, c, c, xType, CublasLt.DataFloat32, LtEpilogue.Bias, transposedWeights), // (R, C) . (C, C) + x
            own, SkinnyEpilogue.Residual, rows, c, c, forcedSplit);
        FcProduct = new BlockProduct(new LtMatmul(lt, "mlp.c_fc", rows, i, c, xType, xType, fc, transposedWeights),                                    // (R, C) . (C, I)
            own, fuseGelu ? SkinnyEpilogue.GeluBias : SkinnyEpilogue.Bias, rows, i, c, forcedSplit);
        FcProjProduct = new BlockProduct(new LtMatmul(lt, "mlp.c_proj", rows, c, i, xType, CublasLt.DataFloat32, LtEpilogue.Bias, transposedWeights),     // (R, I) . (I, C) + x
            own, SkinnyEpilogue.Residual, rows, c, i, forcedSplit);
    }

    public ShapeBucket Shape { get; }
    public DeviceBuffer X { get; }
    public DeviceBuffer Normed { get; }
    public DeviceBuffer Qkv { get; }
    public DeviceBuffer Attention { get; }
    public DeviceBuffer Mlp { get; }
    public DeviceBuffer Mask { get; }
    public DeviceBuffer Ids { get; }
    public PinnedBuffer HostX { get; }
    public PinnedBuffer HostMask { get; }
    public PinnedBuffer HostIds { get; }
    /// <summary>LayerNorm and attention in this shape's blocks launch with programmatic dependent launch (the block tuning may turn it off).</summary>
    public bool DependentLaunch { get; set; }

    /// <summary>What the block tuning tried and chose for this shape (empty before it ran).</summary>
    public string BlockTuning { get; set; } = "";

    public BlockProduct QkvProduct { get; }
    public BlockProduct ProjProduct { get; }
    public BlockProduct FcProduct { get; }
    public BlockProduct FcProjProduct { get; }

    public void Dispose()
    {
        QkvProduct.Dispose();
        ProjProduct.Dispose();
        FcProduct.Dispose();
        FcProjProduct.Dispose();
        foreach (var buffer in new DeviceBuffer[] { X, Normed, Qkv, Attention, Mlp, Mask, Ids }) buffer.Dispose();
        HostX.Dispose();
        HostMask.Dispose();
        HostIds.Dispose();
    }
}
