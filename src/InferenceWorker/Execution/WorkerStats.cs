namespace SplitCompute.InferenceWorker.Execution;

/// <summary>
/// Live load figures for the heartbeat: queue depth, in-flight passes and EWMAs of measured time, from which the worker predicts
/// how long a new request would wait (its backlog).
/// </summary>
public sealed class WorkerStats
{
    private const double Alpha = 0.2;
    private readonly Lock _gate = new();
    private int _queued;
    private int _inFlight;
    private double _msPerLayerRow = 0.01;
    private double _embedMsPerToken = 0.001;
    private double _requestMs = 1;

    public int QueueDepth => Volatile.Read(ref _queued);
    public int InFlight => Volatile.Read(ref _inFlight);

    public double MsPerLayerRow { get { lock (_gate) return _msPerLayerRow; } }
    public double EmbedMsPerToken { get { lock (_gate) return _embedMsPerToken; } }

    /// <summary>Predicted wait of a request arriving now: the work ahead of it spread over the slots.</summary>
    public double BacklogMs(int capacity)
    {
        lock (_gate) return (QueueDepth + Math.Max(0, InFlight - capacity + 1)) * _requestMs / capacity;
    }

    public void Enqueued() => Interlocked.Increment(ref _queued);

    public void Started()
    {
        Interlocked.Decrement(ref _queued);
        Interlocked.Increment(ref _inFlight);
    }

    public void Abandoned() => Interlocked.Decrement(ref _queued);

    public void Finished(int tokens, int rows, int layers, double embedMs, double layersMs, double totalMs)
    {
        Interlocked.Decrement(ref _inFlight);
        lock (_gate)
        {
            if (tokens > 0) _embedMsPerToken = Blend(_embedMsPerToken, embedMs / tokens);
            if (layers > 0 && rows > 0) _msPerLayerRow = Blend(_msPerLayerRow, layersMs / (layers * (double)rows));
            _requestMs = Blend(_requestMs, totalMs);
        }
    }

    public void Failed() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Replaces the averages with a calibration measurement (at start-up, before any request).</summary>
    public void Calibrated(double msPerLayerRow, double embedMsPerToken, double requestMs)
    {
        lock (_gate)
        {
            (_msPerLayerRow, _embedMsPerToken, _requestMs) = (msPerLayerRow, embedMsPerToken, requestMs);
        }
    }

    private static double Blend(double average, double sample) => (Alpha * sample) + ((1 - Alpha) * average);
}
