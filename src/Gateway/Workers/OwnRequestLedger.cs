using System.Collections.Concurrent;
using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Gateway.Workers;

/// <summary>
/// This gateway's own requests per worker (sent, predicted work, finished), so the queue it predicts is the worker's real schedule
/// (<see cref="QueuePrediction"/>) and not a stale heartbeat: a heartbeat still counting a request this gateway has seen finish (a
/// client's own previous request) must not make a phantom queue, and requests sent since the heartbeat must be counted.
/// Bounded: finished requests are kept only until a heartbeat newer than their end arrives. Every request asks for a prediction,
/// so a prediction walks only the requests still in flight (bounded by concurrency); the finished ones are walked once per heartbeat.
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
        var now = NowMs();
        if (_books.TryGetValue(ticket.WorkerId, out var book)) book.Finish(ticket.Entry, now);
        else ticket.Entry.Finish(now);
    }

    /// <summary>Requests this ledger still holds for a worker: in flight, or finished after its latest heartbeat.</summary>
    public int Tracked(string workerId) => _books.TryGetValue(workerId, out var book) ? book.Count : 0;

    /// <summary>
    /// What the worker said a request really waited on other work (X-SplitCompute-Worker-Ms: total - busy) against the queue that
    /// was predicted for it. The worker's priced schedule misses what batching adds (a batched pass pads every row to the longest
    /// sequence) and what sharing the machine costs; the ratio of the two, averaged per worker, corrects its next predictions.
    /// </summary>
    public void Observed(string workerId, double predictedQueueMs, double observedWaitMs)
    {
        if (_books.TryGetValue(workerId, out var book)) book.Observe(predictedQueueMs, observedWaitMs);
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

        /// <summary>Its place among its book's requests in flight; null once finished or dropped for room.</summary>
        internal LinkedListNode<Entry>? InFlight { get; set; }

        public void Finish(double atMs) => Volatile.Write(ref _finishedMs, atMs);

        /// <summary>Work still ahead at <paramref name="atMs"/>: none once finished, otherwise what is left before its predicted end.</summary>
        public double RemainingAt(double atMs) =>
            atMs < StartMs || atMs >= FinishedMs ? 0 : Math.Min(WorkMs, Math.Max(0, PredictedFinishMs - atMs));
    }

    private sealed class Book
    {
        private const double Weight = 0.1;          // of a new sample in the correction's averages
        private const double MinSampleMs = 1;       // a queue under a millisecond says nothing about the ratio
        private const double MinCorrection = 0.5, MaxCorrection = 4;
        private readonly Lock _gate = new();
        private readonly LinkedList<Entry> _inFlight = new();      // oldest first
        private readonly Queue<Entry> _finished = new();            // in the order they finished
        private long _heartbeatMs = long.MinValue;
        private double _othersAtHeartbeat;
        private double _predictedAverage, _observedAverage;

        public int Count
        {
            get { lock (_gate) return _inFlight.Count + _finished.Count; }
        }

        /// <summary>Observed over predicted queue, from the averages of both (1 until both have seen a real queue).</summary>
        public double Correction => _predictedAverage > MinSampleMs && _observedAverage > 0
            ? Math.Clamp(_observedAverage / _predictedAverage, MinCorrection, MaxCorrection)
            : 1;

        public void Observe(double predictedMs, double observedMs)
        {
            if (!double.IsFinite(predictedMs) || !double.IsFinite(observedMs) || (predictedMs < MinSampleMs && observedMs < MinSampleMs)) return;
            lock (_gate)
            {
                // The prediction was already corrected: compare the worker's own schedule, or the correction would undo itself.
                var raw = Math.Max(0, predictedMs) / Correction;
                _predictedAverage += Weight * (raw - _predictedAverage);
                _observedAverage += Weight * (Math.Max(0, observedMs) - _observedAverage);
            }
        }

        public void Add(Entry entry)
        {
            lock (_gate)
            {
                if (_inFlight.Count >= MaxEntriesPerWorker)
                {
                    // Never finished (a lost ticket): forgotten rather than counted for ever.
                    var oldest = _inFlight.First!;
                    _inFlight.RemoveFirst();
                    oldest.Value.InFlight = null;
                }
                entry.InFlight = _inFlight.AddLast(entry);
            }
        }

        public void Finish(Entry entry, double atMs)
        {
            lock (_gate)
            {
                entry.Finish(atMs);
                if (entry.InFlight is not { } node) return;
                _inFlight.Remove(node);
                entry.InFlight = null;
                // Kept until a heartbeat newer than its end: that heartbeat's backlog may still count it.
                if (_finished.Count >= MaxEntriesPerWorker) _finished.Dequeue();
                _finished.Enqueue(entry);
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
                    while (_finished.TryPeek(out var done) && done.FinishedMs < worker.UnixMs) _finished.Dequeue();
                    var ownThen = 0.0;
                    foreach (var e in _finished) ownThen += e.RemainingAt(worker.UnixMs);
                    foreach (var e in _inFlight) ownThen += e.RemainingAt(worker.UnixMs);
                    _othersAtHeartbeat = Math.Max(0, worker.BacklogMs - (ownThen / slots));
                }
                // A finished request has no work ahead of now: only those in flight count.
                var ownNow = 0.0;
                foreach (var e in _inFlight) ownNow += e.RemainingAt(now);
                return Correction * (QueuePrediction.Others(_othersAtHeartbeat, 0, now - worker.UnixMs) + (ownNow / slots));
            }
        }
    }
}
