namespace SplitCompute.EndToEnd.Tests;

internal static class EmbeddingAssert
{
    /// <summary>Same shape, and every element within <paramref name="tolerance"/>.</summary>
    public static void Close(float[][] expected, float[][] actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Length, actual[i].Length);
        var max = expected.SelectMany(e => e).Zip(actual.SelectMany(e => e)).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max <= tolerance, $"max |difference| {max:E3} > {tolerance:E1}");
    }
}
