namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// The discrete-event core: actions ordered by time, ties in the order they were scheduled (so a run is deterministic). Running
/// an event sets the clock to its time first; an action may schedule more. Time never goes backwards: an event scheduled in the
/// past runs now.
/// </summary>
internal sealed class EventQueue(SimClock clock)
{
    private readonly PriorityQueue<Action, (double Time, long Seq)> _events = new();
    private long _seq;

    public SimClock Clock { get; } = clock;

    public double Now => Clock.NowMs;

    public int Pending => _events.Count;

    public long Executed { get; private set; }

    public void At(double timeMs, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _events.Enqueue(action, (Math.Max(timeMs, Clock.NowMs), _seq++));
    }

    public void After(double delayMs, Action action) => At(Clock.NowMs + Math.Max(0, delayMs), action);

    /// <summary>Runs events in order until none is left or the next is later than <paramref name="untilMs"/>; returns how many ran.</summary>
    public long RunUntil(double untilMs)
    {
        long ran = 0;
        while (_events.TryPeek(out _, out var key) && key.Time <= untilMs)
        {
            var action = _events.Dequeue();
            Clock.NowMs = key.Time;
            action();
            ran++;
        }
        Executed += ran;
        return ran;
    }
}
