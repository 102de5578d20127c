namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// Measures the fraction of wall time in which at least one pass was running, over a sliding window (5 s): the heartbeat's
/// busy_fraction. Busy intervals are kept only while they overlap the window. Not thread-safe: <see cref="WorkerStats"/> locks.
/// </summary>
internal sealed class BusyClock(TimeProvider time, TimeSpan window)
{
    private readonly Queue<(long Start, long End)> _done = new();  // timestamps of finished busy intervals, oldest first
    private readonly long _created = time.GetTimestamp();
    private int _running;
    private long _busySince;

    public void Begin()
    {
        if (_running++ == 0) _busySince = time.GetTimestamp();
    }

    public void End()
    {
        if (_running == 0) throw new InvalidOperationException("a busy interval ended that never began");
        if (--_running == 0) _done.Enqueue((_busySince, time.GetTimestamp()));
    }

    /// <summary>Busy time / window over the last window (over the time since creation while that is shorter), in [0, 1].</summary>
    public double Fraction()
    {
        var now = time.GetTimestamp();
        var windowTicks = (long)(window.TotalSeconds * time.TimestampFrequency);
        var from = Math.Max(now - windowTicks, _created);
        while (_done.Count > 0 && _done.Peek().End <= from) _done.Dequeue();
        long busy = 0;
        foreach (var (start, end) in _done) busy += end - Math.Max(start, from);
        if (_running > 0) busy += now - Math.Max(_busySince, from);
        var span = now - from;
        return span <= 0 ? (_running > 0 ? 1 : 0) : Math.Clamp(busy / (double)span, 0, 1);
    }
}
