using System.Collections.Concurrent;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// A key's limit on what its requests use up (requests per second, tokens per minute), shared by the gateway replicas through
/// Redis. Each replica takes a grant out of the key's shared budget (the request's need plus a chunk), spends it in memory, and
/// asks Redis again only when the grant is spent or no longer valid (the rate window ended; a token grant lasts a second, and
/// what is left of it goes back to the bucket with the next call). Grants come only out of what is left, so a key never uses
/// more than its limit; a replica may refuse a request while another still holds at most a chunk. Chunk 0 (small limits) asks
/// Redis for exactly each request: exact. Requests of one key arriving while a call is in flight go together in the next.
/// Once Redis has refused a request, requests at least as large that cannot fit in what it said was left are refused here until
/// asking again could help (the window's end; the bucket's refill of the missing tokens), so a key flooding past its limit
/// costs Redis nothing more.
/// </summary>
internal sealed class SharedBudgets
{
    private readonly ConcurrentDictionary<string, Budget> _budgets = new(StringComparer.Ordinal);
    private readonly RedisBatcher<long, Outcome> _calls;

    /// <param name="take">Asks Redis for <c>want</c> units of the budget at <c>key</c> (or all it has left if that is at least
    /// <c>least</c>, else none), giving back <c>giveBack</c> unspent ones; returns what it granted, for how long the grant is valid,
    /// and what the shared budget has left.</param>
    public SharedBudgets(Func<string, BudgetState, Request, Task<Grant>> take)
    {
        _calls = new RedisBatcher<long, Outcome>(async (key, needs) =>
        {
            var budget = _budgets[key];
            long want, least, giveBack;
            BudgetState state;
            lock (budget)
            {
                var now = Environment.TickCount64;
                giveBack = now >= budget.ValidUntil ? budget.Left : 0;
                if (giveBack > 0) budget.Left = 0;
                want = Math.Max(0, needs.Sum() + budget.Chunk - budget.Left);
                least = Math.Max(0, needs.Min() - budget.Left);  // a grant that serves none of them would only sit here unused
                state = budget.State;
            }
            var grant = await take(key, state, new Request(want, least, giveBack)).ConfigureAwait(false);
            lock (budget)
            {
                var now = Environment.TickCount64;
                budget.Left += grant.Granted;
                budget.ValidUntil = now + grant.ValidMs;
                var outcomes = needs.Select(n =>
                {
                    if (budget.Left < n) return new Outcome(false, Math.Max(1, n - budget.Left - grant.SharedLeft), grant.ValidMs);
                    budget.Left -= n;
                    return new Outcome(true, 0, grant.ValidMs);
                }).ToList();
                var refused = needs.Where((_, i) => !outcomes[i].Spent).DefaultIfEmpty(0).Min();
                if (refused > 0) (budget.SharedLeft, budget.RefusedNeed, budget.RefuseUntil) = (grant.SharedLeft, refused, now + grant.AskAgainMs);
                return outcomes;
            }
        });
    }

    /// <summary>
    /// Spends <paramref name="units"/> of the budget at <paramref name="key"/>. Throws what <see cref="SplitCompute.RedisConnection.RedisFailure.Is"/>
    /// accepts when Redis had to be asked and could not be.
    /// </summary>
    public Task<Outcome> SpendAsync(string key, BudgetState state, long chunk, long units)
    {
        var budget = _budgets.GetOrAdd(key, static (_, s) => new Budget { State = s }, state);
        lock (budget)
        {
            (budget.State, budget.Chunk) = (state, chunk);
            var now = Environment.TickCount64;
            if (now < budget.ValidUntil && budget.Left >= units)
            {
                budget.Left -= units;
                return Task.FromResult(new Outcome(true, 0, 0));
            }
            if (now < budget.RefuseUntil && units >= budget.RefusedNeed && units > budget.Left + budget.SharedLeft)
                return Task.FromResult(new Outcome(false, units - budget.Left - budget.SharedLeft, budget.RefuseUntil - now));
        }
        return _calls.Enqueue(key, units);
    }

    /// <summary>The limit the script applies (its arguments), kept with the budget so a call sends the latest.</summary>
    public readonly record struct BudgetState(long Limit);

    public readonly record struct Request(long Want, long Least, long GiveBack);

    /// <param name="SharedLeft">What the shared budget had left after the grant.</param>
    /// <param name="AskAgainMs">When the grant fell short: how long until the shared budget can have more (the window's end, the
    /// bucket's refill of what <c>least</c> lacked).</param>
    public readonly record struct Grant(long Granted, long ValidMs, long SharedLeft, long AskAgainMs);

    /// <param name="Missing">For a refusal: how many more units the shared budget needs before the request fits.</param>
    /// <param name="ValidMs">How long the last grant is valid (for a rate window: until it ends).</param>
    public readonly record struct Outcome(bool Spent, long Missing, long ValidMs);

    private sealed class Budget
    {
        public BudgetState State { get; set; }
        public long Chunk { get; set; }
        public long Left { get; set; }
        public long ValidUntil { get; set; }
        public long SharedLeft { get; set; }
        public long RefuseUntil { get; set; }
        public long RefusedNeed { get; set; }  // the smallest request Redis refused: no larger one fits before RefuseUntil
    }
}
