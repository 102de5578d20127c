using System.Collections.Concurrent;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Workers;

/// <summary>
/// This gateway's own requests per worker (sent, predicted work, finished), so the queue it predicts is the worker's real schedule
/// (<see cref="QueuePrediction"/>) and not a stale heartbeat: a heartbeat still counting a request this gateway has seen finish (a
/// client's own previous request) must not make a phantom queue, and requests sent since the heartbeat must be counted.
/// Bounded: finished requests are kept only until a heartbeat newer than their end arrives.
/// </summary>
public sealed class OwnRequestLedger(TimeProvider time)
{
    private const int MaxEntriesPerWorker = 16_384;
    private readonly ConcurrentDictionary<string, Book> _books = new(StringComparer.Ordinal);

    /// <summary>Records a request sent to <paramref name="workerId"/> now, predicted to wait <paramref name="queueMs"/> then work <paramref name="workMs"/>.</summary>
    public Ticket Started(string workerId, double queueMs, double workMs)
    {
        var now = NowMs();
        var entry = new Entry(now, now + Math.Max(0, queueMs) + Math.Max(0, workMs), Math.Max(0, workMs));
        _books.GetOrAdd(workerId, _ => new Book()).Add(entry);
        return new Ticket(workerId, entry);
    }

    public void Finished(Ticket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ticket.Entry.Finish(NowMs());
    }

    /// <summary>Predicted wait of a request sent to this worker now (see <see cref="QueuePrediction"/>).</summary>
    public double PredictQueueMs(WorkerHeartbeat worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var now = NowMs();
        if (!_books.TryGetValue(worker.WorkerId, out var book)) return QueuePrediction.Others(worker.BacklogMs, 0, now - worker.UnixMs);
        return book.Predict(worker, now);
    }

    /// <summary>Unix milliseconds with the clock's sub-millisecond part (the heartbeat's own time is whole milliseconds).</summary>
    private double NowMs() => (time.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    /// <summary>A request this ledger counts until <see cref="Finished"/>.</summary>
    public sealed record Ticket(string WorkerId, Entry Entry);

    public sealed class Entry(double startMs, double predictedFinishMs, double workMs)
    {
        private double _finishedMs = double.MaxValue;

        public double StartMs { get; } = startMs;
        public double PredictedFinishMs { get; } = predictedFinishMs;
        public double WorkMs { get; } = workMs;
        public double FinishedMs => Volatile.Read(ref _finishedMs);

        public void Finish(double atMs) => Volatile.Write(ref _finishedMs, atMs);

        /// <summary>Work still ahead at <paramref name="atMs"/>: none once finished, otherwise what is left before its predicted end.</summary>
        public double RemainingAt(double atMs) =>
            atMs < StartMs || atMs >= FinishedMs ? 0 : Math.Min(WorkMs, Math.Max(0, PredictedFinishMs - atMs));
    }

    private sealed class Book
    {
        private readonly Lock _gate = new();
        private readonly List<Entry> _entries = [];
        private long _heartbeatMs = long.MinValue;
        private double _othersAtHeartbeat;

        public void Add(Entry entry)
        {
            lock (_gate)
            {
                if (_entries.Count >= MaxEntriesPerWorker) _entries.RemoveAt(0);
                _entries.Add(entry);
            }
        }

        public double Predict(WorkerHeartbeat worker, double now)
        {
            var slots = Math.Max(1, worker.Capacity);
            lock (_gate)
            {
                if (worker.UnixMs != _heartbeatMs)
                {
                    // A new heartbeat: what of its backlog is other gateways' work? Our requests in flight at its time were in it.
                    _heartbeatMs = worker.UnixMs;
                    _entries.RemoveAll(e => e.FinishedMs != double.MaxValue && e.FinishedMs < worker.UnixMs);
                    var ownThen = 0.0;
                    foreach (var e in _entries) ownThen += e.RemainingAt(worker.UnixMs);
                    _othersAtHeartbeat = Math.Max(0, worker.BacklogMs - (ownThen / slots));
                }
                var ownNow = 0.0;
                foreach (var e in _entries) ownNow += e.RemainingAt(now);
                return QueuePrediction.Others(_othersAtHeartbeat, 0, now - worker.UnixMs) + (ownNow / slots);
            }
        }
    }
}
