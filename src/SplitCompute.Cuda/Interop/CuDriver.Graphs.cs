using System.Runtime.InteropServices;

namespace SplitCompute.Cuda.Interop;

internal static unsafe partial class CuDriver
{
    /// <summary>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: only this thread's unsafe calls are refused during a capture.</summary>
    public const int CaptureModeThreadLocal = 1;

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuStreamBeginCapture_v2")]
    public static partial int StreamBeginCapture(nint stream, int mode);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuStreamEndCapture")]
    public static partial int StreamEndCapture(nint stream, nint* graph);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuGraphInstantiateWithFlags")]
    public static partial int GraphInstantiateWithFlags(nint* graphExec, nint graph, ulong flags);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuGraphLaunch")]
    public static partial int GraphLaunch(nint graphExec, nint stream);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuGraphExecDestroy")]
    public static partial int GraphExecDestroy(nint graphExec);

    [LibraryImport(CudaLibrary.DriverName, EntryPoint = "cuGraphDestroy")]
    public static partial int GraphDestroy(nint graph);
}
