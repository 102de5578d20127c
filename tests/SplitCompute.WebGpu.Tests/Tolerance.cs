namespace SplitCompute.WebGpu.Tests;

/// <summary>Comparisons that print the largest difference and where it is (llm.c's check_tensor), so a failure says how far off.</summary>
internal static class Tolerance
{
    /// <summary>f32 kernels against the CPU: same maths in a different summation order, so differences are a few ulps of the values.</summary>
    public const double F32 = 1e-4;

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var (max, at) = (0.0, -1);
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs((double)expected[i] - actual[i]);
            if (double.IsNaN(d)) { max = double.NaN; at = i; break; }
            if (d > max) (max, at) = (d, i);
        }
        Assert.True(max <= tolerance,
            $"{what}: max |difference| {max:E3} at index {at} (expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)}), tolerance {tolerance:E1}");
    }

    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (var i = 0; i < n; i++) values[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        return values;
    }
}
