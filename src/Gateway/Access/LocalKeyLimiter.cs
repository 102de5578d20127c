namespace SplitCompute.Gateway.Access;

/// <summary>
/// The same limits as <see cref="RedisKeyLimiter"/>, kept in this replica's memory: used only while Redis cannot be reached, so
/// each replica then enforces each key's full limits on its own (with R replicas a key may get up to R times its limits).
/// </summary>
public sealed class LocalKeyLimiter(TimeProvider time)
{
    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);

    private sealed class State
    {
        public long WindowStartMs;
        public int Count;
        public int InFlight;
    }

    public LimitDecision TryAcquire(ApiKeyRecord key)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_states)
        {
            if (!_states.TryGetValue(key.Id, out var state)) _states[key.Id] = state = new State { WindowStartMs = now };
            if (now - state.WindowStartMs >= 1000)
            {
                state.WindowStartMs = now;
                state.Count = 0;
            }
            if (key.RatePerSecond > 0 && ++state.Count > key.RatePerSecond)
                return LimitDecision.Refuse("rate", RedisKeyLimiter.RateReason(key), 1) with { Scope = "local" };
            if (key.MaxConcurrent > 0 && state.InFlight >= key.MaxConcurrent)
                return LimitDecision.Refuse("concurrency", RedisKeyLimiter.ConcurrencyReason(key), 1) with { Scope = "local" };
            state.InFlight++;
            return LimitDecision.Allow(new Lease(this, state)) with { Scope = "local" };
        }
    }

    private sealed class Lease(LocalKeyLimiter owner, State state) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lock (owner._states) state.InFlight--;
            }
            return ValueTask.CompletedTask;
        }
    }
}
