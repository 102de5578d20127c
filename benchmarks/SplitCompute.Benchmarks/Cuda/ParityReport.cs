using System.Globalization;
using SplitCompute.Model.Forward;

namespace SplitCompute.Benchmarks.Cuda;

/// <summary>Prints one PASS/FAIL line per comparison (llm.c's check_tensor: the largest absolute difference) and counts failures.</summary>
internal sealed class ParityReport
{
    public int Failures { get; private set; }

    public int Checks { get; private set; }

    /// <summary>Largest |a - b| over the valid positions (mask 1) of two (B, T, C) tensors.</summary>
    public static double MaxDifference(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, TokenBatch batch)
    {
        if (actual.Length != expected.Length) return double.PositiveInfinity;
        var c = actual.Length / (batch.BatchSize * batch.SequenceLength);
        var max = 0.0;
        var mask = batch.Mask;
        for (var row = 0; row < mask.Length; row++)
        {
            if (mask[row] == 0) continue;
            for (var i = row * c; i < (row + 1) * c; i++)
            {
                var d = Math.Abs((double)actual[i] - expected[i]);
                if (double.IsNaN(d)) return double.NaN;
                max = Math.Max(max, d);
            }
        }
        return max;
    }

    /// <summary>Largest |value| on valid positions: the scale a max difference should be read against.</summary>
    public static double MaxMagnitude(ReadOnlySpan<float> values, TokenBatch batch)
    {
        var c = values.Length / (batch.BatchSize * batch.SequenceLength);
        var max = 0.0;
        for (var row = 0; row < batch.Mask.Length; row++)
        {
            if (batch.Mask[row] == 0) continue;
            for (var i = row * c; i < (row + 1) * c; i++) max = Math.Max(max, Math.Abs(values[i]));
        }
        return max;
    }

    public void Check(string what, double maxDifference, double tolerance, string? note = null)
    {
        Checks++;
        var pass = maxDifference <= tolerance;  // NaN fails
        if (!pass) Failures++;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(pass ? "PASS" : "FAIL")}  {what,-64} max|diff| {maxDifference,10:E3}  tol {tolerance:E0}{(note is null ? "" : "  " + note)}"));
    }
}
