using System.Threading.Channels;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Execution.Batching;

/// <summary>
/// Dynamic batching: requests queue in a channel; one loop takes, each time the device is free, the requests waiting (after an
/// optional window that lets more arrive), as many as fit the token budget in <see cref="FairOrder"/> (round-robin across
/// tenants, so one tenant's queue cannot starve another's), and runs them as one forward pass through <see cref="BatchRunner"/>.
/// A request whose caller went away leaves the queue, and a pass whose remaining rows are all abandoned stops early. Under light load a request runs at once and alone; under load the queue that builds up
/// during a pass becomes the next batch, so a GPU does one large pass instead of many small ones. On host-memory backends a
/// small request of a tenant not in the running pass (at most 1/<see cref="PreemptRatio"/> of its tokens) does not wait for
/// that pass: it runs between two of its layers (issue 21: one tenant's large requests must not hold up another's small one).
/// </summary>
public sealed class RequestBatcher : IDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILayerRangeBackend _backend;
    private readonly WorkerStats _stats;
    private readonly TimeSpan _window;
    private readonly int _maxTokens;
    private readonly TimeProvider _time;
    /// <summary>A waiting request may cut into a running pass when the pass has at least this many times its tokens.</summary>
    public const int PreemptRatio = 4;

    private readonly Dictionary<string, long> _lastServed = new(StringComparer.Ordinal);  // loop only
    private readonly List<Pending> _waiting = [];  // loop only (preemption runs on the loop's thread, inside a pass)
    private bool _preempting;                       // loop only: a preempting pass is not itself preempted
    private int _preempted;
    private Task? _loop;
    private int _passes;
    private int _cancelled;

    public RequestBatcher(ILayerRangeBackend backend, WorkerStats stats, TimeSpan window, int maxTokens, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        (_backend, _stats, _window, _maxTokens, _time) = (backend, stats, window, maxTokens, time ?? TimeProvider.System);
    }

    /// <summary>Forward passes run so far (each may serve several requests).</summary>
    public int Passes => Volatile.Read(ref _passes);

    /// <summary>Requests that ran between two layers of another tenant's pass instead of after it.</summary>
    public int Preempted => Volatile.Read(ref _preempted);

    /// <summary>Requests dropped because their caller went away: before their pass, or stopped during it.</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>Starts the loop (once). Requests submitted before it starts wait and are batched together.</summary>
    public void Start()
    {
        lock (_queue)
        {
            _loop ??= Task.Run(LoopAsync);
        }
    }

    /// <summary>Queues one request; completes with its own result (its k, its pooling) once its batch has run.</summary>
    public Task<HeadResult> SubmitAsync(TokenBatch batch, int k, Pooling pooling, CancellationToken cancellationToken) =>
        SubmitAsync(batch, k, pooling, "", cancellationToken);

    /// <summary>Queues one request of <paramref name="tenant"/> (a fairness label, nothing more).</summary>
    public Task<HeadResult> SubmitAsync(TokenBatch batch, int k, Pooling pooling, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, _backend.Shape.Layers);
        var pending = new Pending(new BatchItem(batch, k, pooling) { Tenant = tenant, Aborted = cancellationToken }, RequestWork.Of(batch, k), _time.GetTimestamp());
        if (cancellationToken.CanBeCanceled)
        {
            pending.Registration = cancellationToken.Register(() => pending.Completion.TrySetCanceled(cancellationToken));
        }
        _stats.Enqueued(pending.Work);
        if (!_queue.Writer.TryWrite(pending))
        {
            _stats.Abandoned(pending.Work);
            pending.Completion.TrySetException(new ObjectDisposedException(nameof(RequestBatcher)));
        }
        return pending.Completion.Task;
    }

    private async Task LoopAsync()
    {
        var waiting = _waiting;
        var reader = _queue.Reader;
        try
        {
            while (true)
            {
                if (waiting.Count == 0 && !await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false)) break;
                Drain(reader, waiting);
                await WaitForWindowAsync(reader, waiting).ConfigureAwait(false);
                DropCancelled(waiting);
                var group = TakeFair(waiting);
                if (group.Count == 0) continue;
                RunGroup(group);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        foreach (var p in waiting.Concat(DrainAll(reader)))
        {
            if (p.Completion.TrySetException(new ObjectDisposedException(nameof(RequestBatcher), "the worker is shutting down"))) _stats.Abandoned(p.Work);
        }
    }

    /// <summary>The next pass: as many requests as fit the budget in <see cref="FairOrder"/>, removed from <paramref name="waiting"/>.</summary>
    private List<Pending> TakeFair(List<Pending> waiting)
    {
        var order = FairOrder.Of([.. waiting.Select(p => p.Item.Tenant)], _lastServed);
        var take = BatchComposer.CountToTake([.. order.Select(i => waiting[i].Item)], _maxTokens);
        var group = order.Take(take).Select(i => waiting[i]).ToList();
        foreach (var p in group)
        {
            waiting.Remove(p);
            _lastServed[p.Item.Tenant] = _passes;
        }
        // Only tenants still waiting keep a turn; one that comes back later counts as never served (bounded by the queue).
        foreach (var tenant in _lastServed.Keys.Where(t => waiting.All(p => p.Item.Tenant != t)).ToList()) _lastServed.Remove(tenant);
        return group;
    }

    /// <summary>With a window, waits until it has passed since the first waiting request or the budget is full.</summary>
    private async Task WaitForWindowAsync(ChannelReader<Pending> reader, List<Pending> waiting)
    {
        if (_window <= TimeSpan.Zero || waiting.Count == 0) return;
        while (BatchComposer.CountToTake([.. waiting.Select(p => p.Item)], _maxTokens) == waiting.Count)
        {
            var left = _window - _time.GetElapsedTime(waiting[0].Arrived);
            if (left <= TimeSpan.Zero) return;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(left);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false)) return;
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                return;  // the window is over
            }
            Drain(reader, waiting);
        }
    }

    private void RunGroup(List<Pending> group)
    {
        var queueMs = group.Select(p => _time.GetElapsedTime(p.Arrived).TotalMilliseconds).ToArray();
        foreach (var p in group) _stats.Started(p.Work);
        Interlocked.Increment(ref _passes);
        // Predicted before it runs, so the backlog counts what remains of this pass while it runs.
        var pass = _stats.PassStarted(group.Sum(p => _stats.PredictMs(p.Work)));
        var tenants = group.Select(p => p.Item.Tenant).ToHashSet(StringComparer.Ordinal);
        var tokens = group.Sum(p => p.Work.Tokens);
        PassResult run;
        try
        {
            run = BatchRunner.Run(_backend, [.. group.Select(p => p.Item)], queueMs, _time, _preempting ? null : () => Preempt(tenants, tokens));
        }
        catch (Exception e)
        {
            _stats.PassEnded(pass, null);
            foreach (var p in group)
            {
                _stats.Finished();
                p.Registration.Dispose();
                p.Completion.TrySetException(e);
            }
            return;
        }
        _stats.PassEnded(pass, run.Measure);
        if (run.Stopped > 0) Interlocked.Add(ref _cancelled, run.Stopped);
        for (var i = 0; i < group.Count; i++)
        {
            var result = run.Results[i] with { FullMs = _stats.FullMs(run.Results[i].EmbedMs, group[i].Work.Rows, _backend.Shape.Layers) };
            _stats.Finished();
            group[i].Registration.Dispose();
            group[i].Completion.TrySetResult(result);
        }
    }

    /// <summary>
    /// Between two layers of a pass of <paramref name="tenants"/> with <paramref name="tokens"/>: runs, at once and as one pass,
    /// the requests waiting from other tenants that are small beside it (oldest first, together at most 1/<see cref="PreemptRatio"/>
    /// of its tokens). Returns the milliseconds that took.
    /// </summary>
    private double Preempt(HashSet<string> tenants, long tokens)
    {
        Drain(_queue.Reader, _waiting);
        DropCancelled(_waiting);
        var budget = tokens / PreemptRatio;
        var group = new List<Pending>();
        foreach (var p in _waiting)
        {
            if (tenants.Contains(p.Item.Tenant) || p.Work.Tokens > budget) continue;
            group.Add(p);
            budget -= p.Work.Tokens;
        }
        if (group.Count == 0) return 0;
        var start = _time.GetTimestamp();
        foreach (var p in group) _waiting.Remove(p);
        Interlocked.Add(ref _preempted, group.Count);
        _preempting = true;
        try
        {
            RunGroup(group);
        }
        finally
        {
            _preempting = false;
        }
        return _time.GetElapsedTime(start).TotalMilliseconds;
    }

    private void DropCancelled(List<Pending> waiting)
    {
        for (var i = waiting.Count - 1; i >= 0; i--)
        {
            if (!waiting[i].Completion.Task.IsCompleted) continue;
            _stats.Abandoned(waiting[i].Work);
            Interlocked.Increment(ref _cancelled);
            waiting[i].Registration.Dispose();
            waiting.RemoveAt(i);
        }
    }

    private static void Drain(ChannelReader<Pending> reader, List<Pending> into)
    {
        while (reader.TryRead(out var p)) into.Add(p);
    }

    private static List<Pending> DrainAll(ChannelReader<Pending> reader)
    {
        var rest = new List<Pending>();
        Drain(reader, rest);
        return rest;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stop.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // the loop's own failure was already handed to the requests it concerned
        }
        if (_loop is null)
        {
            foreach (var p in DrainAll(_queue.Reader))
            {
                if (p.Completion.TrySetException(new ObjectDisposedException(nameof(RequestBatcher)))) _stats.Abandoned(p.Work);
            }
        }
        _stop.Dispose();
    }

    private sealed class Pending(BatchItem item, RequestWork work, long arrived)
    {
        public BatchItem Item { get; } = item;
        public RequestWork Work { get; } = work;
        public long Arrived { get; } = arrived;
        public TaskCompletionSource<HeadResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration { get; set; }
    }
}
