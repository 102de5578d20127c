namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// Live load figures for the heartbeat: queue depth, in-flight requests, EWMAs of measured time (ms per layer-row, embed ms per
/// token) and, from them, the backlog: milliseconds of device work ahead of a request arriving now. The queue is kept as sums of
/// work (tokens, layer-rows) so the backlog is priced with the current EWMAs in O(1); running passes are kept with their
/// predicted cost and start, so only what remains of them counts.
/// </summary>
public sealed class WorkerStats
{
    private const double Alpha = 0.2;
    private static readonly TimeSpan BusyWindow = TimeSpan.FromSeconds(5);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private BusyClock _busy;
    private readonly Dictionary<long, (double PredictedMs, long Started)> _passes = [];
    private long _nextPass;
    private int _queued;
    private int _inFlight;
    private long _queuedTokens;
    private long _queuedLayerRows;
    private double _msPerLayerRow = 0.01;
    private double _embedMsPerToken = 0.001;

    public WorkerStats(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _busy = new BusyClock(_time, BusyWindow);
    }

    public int QueueDepth => Volatile.Read(ref _queued);
    public int InFlight => Volatile.Read(ref _inFlight);

    public double MsPerLayerRow { get { lock (_gate) return _msPerLayerRow; } }
    public double EmbedMsPerToken { get { lock (_gate) return _embedMsPerToken; } }

    /// <summary>Fraction of the last 5 s in which the device ran a pass.</summary>
    public double BusyFraction { get { lock (_gate) return _busy.Fraction(); } }

    /// <summary>Predicted device ms of <paramref name="work"/>: embeddings by tokens + k x rows x ms per layer-row.</summary>
    public double PredictMs(RequestWork work)
    {
        lock (_gate) return Predict(work.Tokens, work.LayerRows);
    }

    /// <summary>What a request would have cost through all <paramref name="nLayer"/> layers: its embedding share + N x rows x ms per layer-row.</summary>
    public double FullMs(double embedMs, long rows, int nLayer)
    {
        lock (_gate) return embedMs + (nLayer * (double)rows * _msPerLayerRow);
    }

    /// <summary>
    /// Milliseconds of device work ahead of a request arriving now: every queued request's predicted cost plus the predicted
    /// remainder of the passes running (never below 0, a pass running late adds nothing), over the passes that run at once.
    /// </summary>
    public double BacklogMs(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        lock (_gate)
        {
            var ahead = Predict(_queuedTokens, _queuedLayerRows);
            foreach (var (predicted, started) in _passes.Values) ahead += Math.Max(0, predicted - _time.GetElapsedTime(started).TotalMilliseconds);
            return ahead / slots;
        }
    }

    public void Enqueued(RequestWork work)
    {
        Interlocked.Increment(ref _queued);
        AddQueued(work, +1);
    }

    /// <summary>Left the queue for a pass.</summary>
    public void Started(RequestWork work)
    {
        Interlocked.Decrement(ref _queued);
        Interlocked.Increment(ref _inFlight);
        AddQueued(work, -1);
    }

    /// <summary>Left the queue without running (cancelled, or the worker is stopping).</summary>
    public void Abandoned(RequestWork work)
    {
        Interlocked.Decrement(ref _queued);
        AddQueued(work, -1);
    }

    /// <summary>A request's pass is over (successfully or not).</summary>
    public void Finished() => Interlocked.Decrement(ref _inFlight);

    /// <summary>A pass predicted to cost <paramref name="predictedMs"/> starts on the device; returns its handle for <see cref="PassEnded"/>.</summary>
    public long PassStarted(double predictedMs)
    {
        lock (_gate)
        {
            var id = ++_nextPass;
            _passes[id] = (predictedMs, _time.GetTimestamp());
            _busy.Begin();
            return id;
        }
    }

    /// <summary>The pass is over; its measurement (null when it failed) feeds the EWMAs.</summary>
    public void PassEnded(long pass, PassMeasure? measure)
    {
        lock (_gate)
        {
            if (!_passes.Remove(pass)) throw new InvalidOperationException($"pass {pass} ended twice or never started");
            _busy.End();
            if (measure is not { } m) return;
            if (m.Tokens > 0) _embedMsPerToken = Blend(_embedMsPerToken, m.EmbedMs / m.Tokens);
            if (m.LayerRows > 0) _msPerLayerRow = Blend(_msPerLayerRow, m.LayersMs / m.LayerRows);
        }
    }

    /// <summary>
    /// Replaces the averages with a calibration measurement (at start-up, before any request) and forgets the busy time so far
    /// (the warm-up's and calibration's passes are not load).
    /// </summary>
    public void Calibrated(double msPerLayerRow, double embedMsPerToken)
    {
        lock (_gate)
        {
            (_msPerLayerRow, _embedMsPerToken) = (msPerLayerRow, embedMsPerToken);
            if (_passes.Count == 0) _busy = new BusyClock(_time, BusyWindow);
        }
    }

    private void AddQueued(RequestWork work, int sign)
    {
        lock (_gate)
        {
            _queuedTokens += sign * work.Tokens;
            _queuedLayerRows += sign * work.LayerRows;
        }
    }

    private double Predict(long tokens, long layerRows) => (tokens * _embedMsPerToken) + (layerRows * _msPerLayerRow);

    private static double Blend(double average, double sample) => (Alpha * sample) + ((1 - Alpha) * average);
}
