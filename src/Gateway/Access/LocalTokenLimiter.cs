namespace SplitCompute.Gateway.Access;

/// <summary>
/// The token limits of <see cref="RedisTokenLimiter"/> in this replica's memory, used only while Redis cannot be reached (each
/// replica then enforces each key's full limits on its own).
/// </summary>
public sealed class LocalTokenLimiter(TimeProvider time)
{
    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);

    private sealed class State
    {
        public double Left;
        public long LastMs;
        public long InFlight;
    }

    public LimitDecision TryReserve(ApiKeyRecord key, long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        if ((key.TokensPerMinute > 0 && tokens > key.TokensPerMinute) || (key.TokensInFlight > 0 && tokens > key.TokensInFlight))
            return TokenLimits.TooLarge(key, tokens) with { Scope = "local" };
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_states)
        {
            if (!_states.TryGetValue(key.Id, out var state)) _states[key.Id] = state = new State { Left = key.TokensPerMinute, LastMs = now };
            if (key.TokensPerMinute > 0)
            {
                if (now > state.LastMs) state.Left = Math.Min(key.TokensPerMinute, state.Left + (now - state.LastMs) * key.TokensPerMinute / 60_000.0);
                state.LastMs = now;
                if (state.Left < tokens)
                    return TokenLimits.OverPerMinute(key, tokens, (long)Math.Ceiling((tokens - state.Left) * 60_000 / key.TokensPerMinute)) with { Scope = "local" };
            }
            if (key.TokensInFlight > 0 && state.InFlight + tokens > key.TokensInFlight)
                return TokenLimits.OverInFlight(key, tokens, state.InFlight) with { Scope = "local" };
            if (key.TokensPerMinute > 0) state.Left -= tokens;
            state.InFlight += tokens;
            return LimitDecision.Allow(new Lease(this, state, tokens)) with { Scope = "local" };
        }
    }

    private sealed class Lease(LocalTokenLimiter owner, State state, long tokens) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lock (owner._states) state.InFlight -= tokens;
            }
            return ValueTask.CompletedTask;
        }
    }
}
