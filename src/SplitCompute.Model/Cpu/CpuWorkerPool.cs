namespace SplitCompute.Model.Cpu;

/// <summary>
/// A fixed set of worker threads that run one <see cref="RowJob"/> at a time over a row range, the caller helping.
/// Unlike Parallel.For it allocates nothing per dispatch, which keeps the layer loop allocation-free.
/// Dispatches are serialised: a backend call that needs the pool holds it for one operation at a time.
/// </summary>
internal sealed class CpuWorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim _start = new(0);
    private readonly Lock _dispatch = new();
    private RowJob? _job;
    private int _rows;
    private int _chunk;
    private int _nextChunk;
    private int _pending;
    private volatile bool _stopping;

    public CpuWorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        ThreadCount = threads;
        _workers = new Thread[threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"splitcompute-cpu-{i + 1}" };
            _workers[i].Start();
        }
    }

    public int ThreadCount { get; }

    /// <summary>Runs <paramref name="job"/> over [0, rows) and returns when every row is done; exceptions surface here.</summary>
    public void Run(RowJob job, int rows, int minRowsPerChunk = 1)
    {
        if (rows <= 0) return;
        if (_workers.Length == 0 || rows <= minRowsPerChunk)
        {
            job.Execute(0, rows);
            return;
        }
        lock (_dispatch)
        {
            _job = job;
            _rows = rows;
            // About four chunks per thread balances uneven rows (causal attention) without much contention.
            _chunk = Math.Max(minRowsPerChunk, (rows + (ThreadCount * 4) - 1) / (ThreadCount * 4));
            _nextChunk = 0;
            _failure = null;
            _pending = _workers.Length;
            _start.Release(_workers.Length);
            Drain();
            // The caller has taken the last chunk; the workers finish theirs within one chunk's time, so spin (yielding, never
            // sleeping) rather than block: a blocking wait costs a context switch per operation and allocates on first use.
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _pending) != 0) spinner.SpinOnce(sleep1Threshold: -1);
            _job = null;
            if (_failure is { } failure) throw new AggregateException("a CPU backend operation failed on a worker thread", failure);
        }
    }

    private Exception? _failure;

    private void Drain()
    {
        var job = _job!;
        try
        {
            while (true)
            {
                var index = Interlocked.Increment(ref _nextChunk) - 1;
                var start = index * _chunk;
                if (start >= _rows) return;
                job.Execute(start, Math.Min(_rows, start + _chunk));
            }
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
            Volatile.Write(ref _nextChunk, int.MaxValue / 2);
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            Drain();
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_workers.Length > 0) _start.Release(_workers.Length);
        foreach (var worker in _workers) worker.Join();
        _start.Dispose();
    }
}
