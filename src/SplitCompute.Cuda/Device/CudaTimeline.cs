using SplitCompute.Cuda.Interop;

namespace SplitCompute.Cuda.Device;

/// <summary>A row of events recorded between the steps of some work on the stream: per-step GPU time without host overhead.</summary>
public sealed unsafe class CudaTimeline : IDisposable
{
    private readonly CudaContext _context;
    private readonly nint[] _events;

    public CudaTimeline(CudaContext context, int marks)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(marks, 2);
        _context = context;
        _events = new nint[marks];
        for (var i = 0; i < marks; i++)
        {
            nint e;
            CuDriver.Check(CuDriver.EventCreate(&e, CuDriver.EventDefault), "cuEventCreate");
            _events[i] = e;
        }
    }

    public int Marks => _events.Length;

    public void Record(int mark) => CuDriver.Check(CuDriver.EventRecord(_events[mark], _context.Stream), $"cuEventRecord(mark {mark})");

    /// <summary>Milliseconds between two recorded marks (waits for the later one).</summary>
    public double ElapsedMs(int from, int to)
    {
        CuDriver.Check(CuDriver.EventSynchronize(_events[to]), "cuEventSynchronize");
        float ms;
        CuDriver.Check(CuDriver.EventElapsedTime(&ms, _events[from], _events[to]), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose()
    {
        foreach (var e in _events)
        {
            if (e != 0) _ = CuDriver.EventDestroy(e);
        }
        Array.Clear(_events);
    }
}
