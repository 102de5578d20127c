namespace SplitCompute.EdgeRuntime.Prefetch;

/// <summary>
/// Counts the requests of one client that are downloading their own shards now, so the background prefetch starts a shard
/// only while none is (requests never wait for it, beyond a shard both want, whose lock they share).
/// </summary>
public sealed class RequestDownloads
{
    private int _active;

    public bool Active => Volatile.Read(ref _active) > 0;

    /// <summary>Marks a request downloading until the result is disposed.</summary>
    public IDisposable Begin()
    {
        Interlocked.Increment(ref _active);
        return new Scope(this);
    }

    /// <summary>Completes once no request is downloading (polled: prefetch is not in a hurry).</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (Active) await Task.Delay(20, cancellationToken).ConfigureAwait(false);
    }

    private sealed class Scope(RequestDownloads owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Decrement(ref owner._active);
        }
    }
}
