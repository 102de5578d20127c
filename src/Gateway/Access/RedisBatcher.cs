namespace SplitCompute.Gateway.Access;

/// <summary>
/// Group commit for Redis calls about one key: the first caller sends at once; while its call is in flight, later callers for the
/// same key queue and go together in the next call when it returns. Nothing waits at low load; under load one round trip and
/// one script run answer many requests, so a single redis-server thread stops capping the gateway (every request with an API
/// key used to cost Redis four calls). Each item still gets its own answer, in order.
/// </summary>
internal sealed class RedisBatcher<TItem, TResult>(Func<string, IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> send, int maxBatch = 256)
{
    private readonly Dictionary<string, List<Pending>> _queued = new(StringComparer.Ordinal);  // keys with a call in flight

    public Task<TResult> Enqueue(string key, TItem item)
    {
        var pending = new Pending(item);
        lock (_queued)
        {
            if (_queued.TryGetValue(key, out var waiting))
            {
                waiting.Add(pending);
                return pending.Task;
            }
            _queued[key] = [];
        }
        _ = SendAsync(key, [pending]);
        return pending.Task;
    }

    private async Task SendAsync(string key, List<Pending> batch)
    {
        while (true)
        {
            try
            {
                var results = await send(key, batch.ConvertAll(p => p.Item)).ConfigureAwait(false);
                if (results.Count != batch.Count) throw new InvalidOperationException($"Redis answered {results.Count} of {batch.Count} requests for {key}");
                for (var i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(results[i]);
            }
            catch (Exception ex)
            {
                foreach (var pending in batch) pending.Completion.TrySetException(ex);
            }
            lock (_queued)
            {
                var waiting = _queued[key];
                if (waiting.Count == 0)
                {
                    _queued.Remove(key);
                    return;
                }
                var take = Math.Min(waiting.Count, maxBatch);
                batch = waiting.GetRange(0, take);
                waiting.RemoveRange(0, take);
            }
        }
    }

    private sealed class Pending(TItem item)
    {
        public TItem Item { get; } = item;
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<TResult> Task => Completion.Task;
    }
}
