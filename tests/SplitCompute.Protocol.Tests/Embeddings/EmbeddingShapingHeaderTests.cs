using SplitCompute.Protocol.Embeddings;

namespace SplitCompute.Protocol.Tests.Embeddings;

/// <summary>X-SplitCompute-Shaping: how the worker tells the edge to finish a split's embeddings.</summary>
public sealed class EmbeddingShapingHeaderTests
{
    [Theory]
    [InlineData(null, false, "normalize=false")]
    [InlineData(null, true, "normalize=true")]
    [InlineData(32, true, "dimensions=32; normalize=true")]
    public void The_header_round_trips(int? dimensions, bool normalize, string header)
    {
        var shaping = new EmbeddingShaping(dimensions, normalize);
        Assert.Equal(header, shaping.ToHeader());
        Assert.True(EmbeddingShaping.TryParse(header, out var parsed));
        Assert.Equal(shaping, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("dimensions=32")]                       // normalize is always stated
    [InlineData("normalize=yes")]
    [InlineData("dimensions=0; normalize=true")]
    [InlineData("dimensions=-4; normalize=true")]
    [InlineData("dimensions=32; dimensions=16; normalize=true")]
    [InlineData("normalize=true; pooling=cls")]         // an unknown field is not silently dropped
    [InlineData("normalize")]
    public void Anything_else_is_not_a_shaping(string? header) =>
        Assert.False(EmbeddingShaping.TryParse(header, out _));

    [Fact]
    public void The_shaping_a_request_resolves_to_is_what_the_header_carries()
    {
        var request = EmbeddingRequestParser.Parse("""{"input": "x", "dimensions": 16}"""u8.ToArray());
        var shaping = EmbeddingShaping.For(request, 64, [32, 16], normalizeByDefault: false);
        Assert.True(EmbeddingShaping.TryParse(shaping.ToHeader(), out var told));
        var pooled = Enumerable.Range(1, 64).Select(i => (float)i).ToArray();
        Assert.Equal(shaping.Apply(pooled), told.Apply(pooled));
        Assert.Equal(16, told.Apply(pooled).Length);
    }
}
