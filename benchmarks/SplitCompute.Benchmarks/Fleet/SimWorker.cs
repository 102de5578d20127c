using SplitCompute.Protocol.Heartbeats;

namespace SplitCompute.Benchmarks.Fleet;

/// <summary>
/// A modelled inference worker: one pass at a time with dynamic batching (requests that arrive during a pass form the next one,
/// up to <see cref="MaxRowsPerPass"/> rows), the batch exit rule of <see cref="BatchPass"/>, and a heartbeat as the real worker
/// publishes it: backlog_ms (device work ahead of an arrival: the rest of the running pass plus the queued requests' predicted
/// cost from its measured EWMAs) and busy_fraction (busy share of the last 5 s).
/// </summary>
internal sealed class SimWorker
{
    public const int MaxRowsPerPass = 32 * 1024;
    private const double BusyWindowMs = 5_000;
    private const double EwmaWeight = 0.1;
    private readonly EventQueue _events;
    private readonly Queue<SimJob> _queue = new();
    private readonly Queue<(double Start, double End)> _passes = new();
    private readonly List<PassRow> _rows = [];
    private readonly List<SimJob> _batch = [];
    private PassShare[] _shares = new PassShare[64];
    private double _passEndMs = double.NegativeInfinity;
    private double _queuedPredictedMs;
    private int _inPass;
    private long _generation;

    public SimWorker(string id, DeviceSpeed speed, EventQueue events)
    {
        ArgumentNullException.ThrowIfNull(speed);
        Id = id;
        Speed = speed;
        _events = events;
        // The real worker calibrates before its first heartbeat: a typical pass of 512 rows.
        MsPerLayerToken = speed.MsPerLayerRow + (speed.LayerFixedMs / 512);
        EmbedMsPerToken = speed.EmbedMsPerToken;
    }

    public string Id { get; }
    public DeviceSpeed Speed { get; }
    public double MsPerLayerToken { get; private set; }
    public double EmbedMsPerToken { get; }
    public double TotalBusyMs { get; private set; }
    public long Passes { get; private set; }
    public bool Busy => _events.Now < _passEndMs;
    public int Queued => _queue.Count;

    /// <summary>Whether k = 0 requests are answered at once from host memory (the real worker's embeddings-only path), not queued.</summary>
    public bool EmbedsOutsideQueue { get; init; }

    public void Submit(SimJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.ArrivedMs = _events.Now;
        if (job.K == 0 && EmbedsOutsideQueue)
        {
            job.StartedMs = _events.Now;
            job.BusyMs = job.Tokens * EmbedMsPerToken;  // host work, not the device's: it takes nothing from the passes
            job.DoneMs = _events.Now + job.BusyMs;
            _events.At(job.DoneMs, () => job.Done(job));
            return;
        }
        _queue.Enqueue(job);
        _queuedPredictedMs += Predicted(job);
        if (!Busy) StartPass();
    }

    /// <summary>Milliseconds of device work ahead of a request arriving now (what the heartbeat's backlog_ms says).</summary>
    public double BacklogMs() => Math.Max(0, _passEndMs - _events.Now) + Math.Max(0, _queuedPredictedMs);

    /// <summary>Share of the last 5 s this device spent running passes.</summary>
    public double BusyFraction()
    {
        var now = _events.Now;
        var from = now - BusyWindowMs;
        while (_passes.Count > 0 && _passes.Peek().End <= from) _passes.Dequeue();
        var busy = 0.0;
        foreach (var (start, end) in _passes) busy += Math.Max(0, Math.Min(end, now) - Math.Max(start, from));
        return Math.Clamp(busy / BusyWindowMs, 0, 1);
    }

    public WorkerHeartbeat Heartbeat(ModelShape model) => new()
    {
        WorkerId = Id, Address = $"http://{Id}:8080", Model = model.Profile.Model, Revision = model.Profile.Revision,
        NLayer = model.Profile.Layers, NEmbd = model.Profile.Channels, NPositions = 1024, Device = Speed.Name, DeviceName = Speed.Name,
        QueueDepth = _queue.Count, InFlight = _inPass, Capacity = 1, MsPerLayerToken = MsPerLayerToken, EmbedMsPerToken = EmbedMsPerToken,
        BacklogMs = BacklogMs(), BusyFraction = BusyFraction(), UnixMs = SimClock.UnixMs(_events.Now), EmbedsOutsideQueue = EmbedsOutsideQueue,
    };

    private double Predicted(SimJob job) => (job.Tokens * EmbedMsPerToken) + (job.K * job.Rows * MsPerLayerToken);

    private void StartPass()
    {
        if (_queue.Count == 0) return;
        _rows.Clear();
        _batch.Clear();
        long rows = 0;
        while (_queue.Count > 0 && (_batch.Count == 0 || rows + _queue.Peek().Rows <= MaxRowsPerPass))
        {
            var job = _queue.Dequeue();
            _queuedPredictedMs -= Predicted(job);
            rows += job.Rows;
            _batch.Add(job);
            _rows.Add(new PassRow(job.Tokens, job.Rows, job.K));
        }
        if (_queue.Count == 0) _queuedPredictedMs = 0;  // no drift from floating-point sums
        if (_shares.Length < _batch.Count) _shares = new PassShare[_batch.Count * 2];
        var start = _events.Now;
        var duration = BatchPass.Schedule(_rows, Speed, _shares);
        _passEndMs = start + duration;
        _passes.Enqueue((start, _passEndMs));
        TotalBusyMs += duration;
        Passes++;
        _inPass = _batch.Count;
        for (var i = 0; i < _batch.Count; i++)
        {
            var job = _batch[i];
            var share = _shares[i];
            job.StartedMs = start;
            job.BusyMs = share.BusyMs;
            job.DoneMs = start + share.DoneAfterMs;
            _events.At(job.DoneMs, () =>
            {
                // The worker measures its own requests: the EWMA the heartbeat publishes and the planner predicts with.
                if (job.K > 0) MsPerLayerToken += EwmaWeight * ((share.LayerBusyMs / ((double)job.K * job.Rows)) - MsPerLayerToken);
                job.Done(job);
            });
        }
        var generation = ++_generation;
        _events.At(_passEndMs, () =>
        {
            if (generation != _generation) return;
            _inPass = 0;
            StartPass();
        });
    }
}
