using SplitCompute.Cuda.Device;
using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Blas;

/// <summary>A cuBLASLt handle and the one workspace all its products share (they run one after another on one stream).</summary>
internal sealed unsafe class LtHandle : IDisposable
{
    /// <summary>32 MiB: what NVIDIA recommends for Hopper so the heuristic may pick split-K and stream-K kernels.</summary>
    public const long WorkspaceBytes = 32L << 20;

    private nint _handle;

    public LtHandle(CudaContext context)
    {
        context.MakeCurrent();
        Context = context;
        nint handle;
        CublasLt.Check(CublasLt.Create(&handle), "cublasLtCreate");
        _handle = handle;
        Workspace = DeviceBuffer.Allocate(WorkspaceBytes, "cuBLASLt workspace");
    }

    public CudaContext Context { get; }

    public DeviceBuffer Workspace { get; }

    internal nint Handle => _handle;

    public void Dispose()
    {
        Workspace.Dispose();
        if (_handle != 0) _ = CublasLt.Destroy(_handle);
        _handle = 0;
    }
}
