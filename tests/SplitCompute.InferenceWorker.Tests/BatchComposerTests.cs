using SplitCompute.InferenceWorker.Execution.Batching;
using SplitCompute.Model.Forward;

namespace SplitCompute.InferenceWorker.Tests;

/// <summary>How many waiting requests one pass takes: padded tokens (sequences x longest) within the budget, in arrival order.</summary>
public sealed class BatchComposerTests
{
    private static BatchItem Item(int sequences, int length) =>
        new(TokenBatch.FromSequences([.. Enumerable.Range(0, sequences).Select(_ => new int[length])]), 1, Pooling.Mean);

    [Fact]
    public void Requests_are_taken_while_the_padded_total_fits()
    {
        // 1x10, then 2x10 (3x10 = 30), then 1x20 (4x20 = 80 > 64): two are taken.
        Assert.Equal(2, BatchComposer.CountToTake([Item(1, 10), Item(2, 10), Item(1, 20)], maxTokens: 64));
        Assert.Equal(3, BatchComposer.CountToTake([Item(1, 10), Item(2, 10), Item(1, 20)], maxTokens: 80));
    }

    [Fact]
    public void A_long_late_request_counts_against_every_earlier_sequence()
    {
        // Four short sequences fit alone (4 x 8 = 32), but a 1 x 30 request would pad all five to 30 (150 > 100).
        Assert.Equal(1, BatchComposer.CountToTake([Item(4, 8), Item(1, 30)], maxTokens: 100));
    }

    [Fact]
    public void The_first_request_always_runs_even_over_the_budget_and_nothing_is_taken_from_nothing()
    {
        Assert.Equal(1, BatchComposer.CountToTake([Item(8, 100), Item(1, 1)], maxTokens: 10));
        Assert.Equal(0, BatchComposer.CountToTake([], maxTokens: 10));
    }
}
