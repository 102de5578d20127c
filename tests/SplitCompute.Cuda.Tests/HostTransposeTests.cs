using SplitCompute.Cuda.Backend;

namespace SplitCompute.Cuda.Tests;

/// <summary>The Conv1D (in, out) -> (out, in) weight transpose done at upload, across tile edges.</summary>
public sealed class HostTransposeTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 70)]
    [InlineData(64, 33)]
    [InlineData(100, 100)]
    public void Element_r_c_lands_at_c_r(int rows, int cols)
    {
        var source = Enumerable.Range(0, rows * cols).Select(i => (float)i).ToArray();
        var result = new float[source.Length];
        HostTranspose.Transpose(source, rows, cols, result);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++) Assert.Equal(source[(r * cols) + c], result[(c * rows) + r]);
        }
    }

    [Fact]
    public void A_size_mismatch_is_refused_with_the_shape()
    {
        var error = Assert.Throws<ArgumentException>(() => HostTranspose.Transpose(new float[6], 2, 4, new float[6]));
        Assert.Contains("(2, 4)", error.Message, StringComparison.Ordinal);
    }
}
