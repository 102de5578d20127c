using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Leases kept as members of a sorted set scored by expiry (the request and token limiters' in-flight sets). Ending one removes
/// its member; removals for one set are sent together (<see cref="RedisBatcher{TItem, TResult}"/>). A removal Redis never saw
/// does not matter: the member expires on its own (ConcurrencyLeaseSeconds).
/// </summary>
internal sealed class RedisLeases(RedisConnector redis)
{
    private readonly RedisBatcher<string, bool> _removals = new(async (key, members) =>
    {
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        await database.SortedSetRemoveAsync(key, [.. members.Select(m => (RedisValue)m)]).ConfigureAwait(false);
        return [.. members.Select(_ => true)];
    });

    public IAsyncDisposable Lease(string key, string member) => new SetMemberLease(this, key, member);

    /// <summary>
    /// Waits for a batched limit check, and when the caller gives up first but the check admitted the request, ends the lease it
    /// was given: a cancelled request must not hold a slot until it expires.
    /// </summary>
    public static async Task<LimitDecision> AwaitAsync(Task<LimitDecision> decision, CancellationToken cancellationToken)
    {
        try
        {
            return await decision.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = decision.ContinueWith(static d => d.IsCompletedSuccessfully ? d.Result.Lease.DisposeAsync().AsTask() : Task.CompletedTask,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
            throw;
        }
    }

    private sealed class SetMemberLease(RedisLeases owner, string key, string member) : IAsyncDisposable
    {
        private int _ended;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0) return;
            try
            {
                await owner._removals.Enqueue(key, member).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailure.Is(ex))
            {
                // The member expires by itself; nothing else to do.
            }
        }
    }
}
