using SplitCompute.Cuda.Backend;

namespace SplitCompute.Cuda.Tests;

/// <summary>Which padded shape (and so which captured graph and workspace) a batch runs at.</summary>
public sealed class ShapeBucketTests
{
    [Theory]
    [InlineData(1, 1, 1, 16)]
    [InlineData(1, 16, 1, 16)]
    [InlineData(1, 17, 1, 32)]
    [InlineData(3, 100, 4, 128)]
    [InlineData(32, 128, 32, 128)]
    [InlineData(33, 129, 64, 256)]
    public void Batch_and_tokens_round_up_to_powers_of_two_with_at_least_16_tokens(int batch, int tokens, int expectedBatch, int expectedTokens)
    {
        Assert.Equal(new ShapeBucket(expectedBatch, expectedTokens), ShapeBucket.For(batch, tokens, maxTokens: 1024));
    }

    [Fact]
    public void Tokens_never_exceed_n_positions_even_when_it_is_not_a_power_of_two()
    {
        Assert.Equal(new ShapeBucket(1, 600), ShapeBucket.For(1, 513, maxTokens: 600));
        Assert.Equal(new ShapeBucket(2, 10), ShapeBucket.For(2, 3, maxTokens: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapeBucket.For(1, 601, maxTokens: 600));
    }

    [Fact]
    public void Every_length_in_a_bucket_shares_one_graph_key_and_ranges_do_not()
    {
        var keys = Enumerable.Range(65, 64).Select(t => new GraphKey(ShapeBucket.For(1, t, 1024), 0, 12)).Distinct().ToList();
        Assert.Single(keys);
        Assert.Equal("layers [0, 12) at 1x128", keys[0].ToString());
        Assert.NotEqual(new GraphKey(new ShapeBucket(1, 128), 0, 12), new GraphKey(new ShapeBucket(1, 128), 0, 11));
        Assert.NotEqual(new GraphKey(new ShapeBucket(1, 128), 0, 12), new GraphKey(new ShapeBucket(2, 128), 0, 12));
    }
}
