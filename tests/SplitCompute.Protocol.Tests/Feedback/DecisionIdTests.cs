using System.Collections.Concurrent;
using SplitCompute.Protocol.Feedback;
using Xunit;

namespace SplitCompute.Protocol.Tests.Feedback;

public sealed class DecisionIdTests
{
    [Fact]
    public void Ids_are_valid_and_never_repeat_across_refills_and_threads()
    {
        // 4 threads x 2,000 ids: several refills of each thread's random buffer (256 ids each).
        var seen = new ConcurrentDictionary<string, byte>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                var id = DecisionId.New();
                Assert.True(DecisionId.IsValid(id), $"'{id}' is not 32 lowercase hex characters");
                Assert.True(seen.TryAdd(id, 0), $"'{id}' was handed out twice");
            }
        });
        Assert.Equal(8_000, seen.Count);
    }

    [Fact]
    public void Ids_are_not_all_zero_after_a_refill_boundary()
    {
        // The consumed bytes are cleared; a refill bug would hand out the cleared (zero) bytes.
        var ids = Enumerable.Range(0, 600).Select(_ => DecisionId.New()).ToList();
        Assert.DoesNotContain(new string('0', DecisionId.Length), ids);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdeF")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    public void Malformed_ids_are_refused(string? id) => Assert.False(DecisionId.IsValid(id));
}
