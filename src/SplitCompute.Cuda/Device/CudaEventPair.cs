using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Device;

/// <summary>Two events around work on the stream: the GPU's own clock, free of host launch and synchronisation time.</summary>
public sealed unsafe class CudaEventPair : IDisposable
{
    private readonly CudaContext _context;
    private nint _start;
    private nint _end;

    public CudaEventPair(CudaContext context)
    {
        _context = context;
        nint start, end;
        CuDriver.Check(CuDriver.EventCreate(&start, CuDriver.EventDefault), "cuEventCreate");
        CuDriver.Check(CuDriver.EventCreate(&end, CuDriver.EventDefault), "cuEventCreate");
        (_start, _end) = (start, end);
    }

    public void RecordStart() => CuDriver.Check(CuDriver.EventRecord(_start, _context.Stream), "cuEventRecord(start)");

    public void RecordEnd() => CuDriver.Check(CuDriver.EventRecord(_end, _context.Stream), "cuEventRecord(end)");

    /// <summary>Waits for the end event and returns the milliseconds between the two.</summary>
    public double ElapsedMs()
    {
        CuDriver.Check(CuDriver.EventSynchronize(_end), "cuEventSynchronize");
        float ms;
        CuDriver.Check(CuDriver.EventElapsedTime(&ms, _start, _end), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose()
    {
        if (_start != 0) _ = CuDriver.EventDestroy(_start);
        if (_end != 0) _ = CuDriver.EventDestroy(_end);
        _start = _end = 0;
    }
}
