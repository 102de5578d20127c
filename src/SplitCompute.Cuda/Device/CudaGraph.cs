using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Device;

/// <summary>
/// An executable graph made by capturing what a callback enqueues on the context's stream. Replaying it costs one launch
/// instead of one per kernel (7 per GPT-2 block), which is most of the time of a small batch.
/// </summary>
public sealed unsafe class CudaGraph : IDisposable
{
    private readonly CudaContext _context;
    private nint _exec;

    private CudaGraph(CudaContext context, nint exec, string label)
    {
        _context = context;
        _exec = exec;
        Label = label;
    }

    public string Label { get; }

    /// <summary>Captures everything <paramref name="enqueue"/> puts on the stream (it must not synchronise) into a graph.</summary>
    public static CudaGraph Capture(CudaContext context, string label, Action enqueue)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(enqueue);
        CuDriver.Check(CuDriver.StreamBeginCapture(context.Stream, CuDriver.CaptureModeThreadLocal), $"cuStreamBeginCapture ({label})");
        nint graph = 0;
        try
        {
            enqueue();
        }
        finally
        {
            // End the capture even when enqueueing failed, or the stream stays in capture mode and every later call fails.
            var ended = CuDriver.StreamEndCapture(context.Stream, &graph);
            if (ended != CuDriver.Success && graph == 0) CuDriver.Check(ended, $"cuStreamEndCapture ({label})");
        }
        try
        {
            nint exec;
            CuDriver.Check(CuDriver.GraphInstantiateWithFlags(&exec, graph, 0), $"cuGraphInstantiate ({label})");
            return new CudaGraph(context, exec, label);
        }
        finally
        {
            _ = CuDriver.GraphDestroy(graph);  // the executable graph keeps what it needs
        }
    }

    public void Launch()
    {
        ObjectDisposedException.ThrowIf(_exec == 0, this);
        CuDriver.Check(CuDriver.GraphLaunch(_exec, _context.Stream), $"cuGraphLaunch ({Label})");
    }

    public void Dispose()
    {
        if (_exec == 0) return;
        CudaContext.EnterForRelease();
        _ = CuDriver.GraphExecDestroy(_exec);
        _exec = 0;
    }
}
