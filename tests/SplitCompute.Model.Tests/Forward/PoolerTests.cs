using SplitCompute.Model.Forward;

namespace SplitCompute.Model.Tests.Forward;

/// <summary>Every pooling over a right-padded batch: padded positions never count, whatever their values.</summary>
public sealed class PoolerTests
{
    // Sequence 0: 3 real positions; sequence 1: 1 real position and 2 padded ones holding large values.
    private static readonly HiddenState Hidden = new(
        new TokenBatch(2, 3, new int[6], [1, 1, 1, 1, 0, 0]), 2,
        [1, -4, 3, 2, -2, 5, /* seq 1 */ -1, 7, 100, 100, 100, 100], layersDone: 0);

    [Theory]
    [InlineData(Pooling.Mean, new float[] { 2f / 3, 1f }, new float[] { -1, 7 })]
    [InlineData(Pooling.Last, new float[] { -2, 5 }, new float[] { -1, 7 })]
    [InlineData(Pooling.Cls, new float[] { 1, -4 }, new float[] { -1, 7 })]
    [InlineData(Pooling.Max, new float[] { 3, 5 }, new float[] { -1, 7 })]
    public void Pools_real_positions_only(Pooling pooling, float[] first, float[] second)
    {
        var pooled = Pooler.Pool(Hidden, pooling);
        Assert.Equal(first, pooled[0], (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(second, pooled[1], (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Pooling_names_parse_and_others_are_refused()
    {
        Assert.Equal([Pooling.Mean, Pooling.Last, Pooling.Cls, Pooling.Max], new[] { "mean", "LAST", "cls", "Max" }.Select(PoolingNames.Parse));
        Assert.Contains("'median'", Assert.Throws<ArgumentException>(() => PoolingNames.Parse("median")).Message, StringComparison.Ordinal);
    }
}
