using SplitCompute.Gateway.Access;

namespace SplitCompute.Gateway.Tests.Access;

public sealed class RedisBatcherTests
{
    [Fact]
    public async Task Items_queued_behind_a_call_in_flight_go_together_and_each_gets_its_own_answer()
    {
        var release = new TaskCompletionSource();
        var batches = new List<IReadOnlyList<int>>();
        var batcher = new RedisBatcher<int, int>(async (_, items) =>
        {
            lock (batches) batches.Add(items);
            await release.Task;
            return [.. items.Select(i => i * 10)];
        });
        var first = batcher.Enqueue("k", 1);                                  // sent at once
        var queued = Enumerable.Range(2, 5).Select(i => batcher.Enqueue("k", i)).ToList();  // wait behind it
        var other = batcher.Enqueue("other", 9);                              // another key is not held up
        release.SetResult();
        Assert.Equal(10, await first);
        var answers = await Task.WhenAll(queued);
        Assert.Equal(new[] { 20, 30, 40, 50, 60 }, answers);
        Assert.Equal(90, await other);
        Assert.Equal(3, batches.Count);
        Assert.Contains(batches, b => b.SequenceEqual([2, 3, 4, 5, 6]));
    }

    [Fact]
    public async Task A_failed_call_fails_every_item_of_its_batch_and_the_next_call_goes_on()
    {
        var calls = 0;
        var batcher = new RedisBatcher<int, int>((_, items) => Interlocked.Increment(ref calls) == 1
            ? Task.FromException<IReadOnlyList<int>>(new InvalidOperationException("redis down"))
            : Task.FromResult<IReadOnlyList<int>>([.. items]));
        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.Enqueue("k", 1));
        Assert.Equal(2, await batcher.Enqueue("k", 2));
    }
}
