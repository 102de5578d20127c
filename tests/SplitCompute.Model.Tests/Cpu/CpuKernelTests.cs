using SplitCompute.Model.Cpu;

namespace SplitCompute.Model.Tests.Cpu;

/// <summary>Each CPU kernel against a plain double-precision reference written out longhand.</summary>
public sealed class CpuKernelTests
{
    [Fact]
    public void Gelu_matches_the_tanh_formula()
    {
        var x = Enumerable.Range(-400, 801).Select(i => i / 50f).ToArray();
        var y = x.ToArray();
        GeluJob.Apply(y, new float[y.Length]);
        for (var i = 0; i < x.Length; i++)
        {
            double v = x[i];
            var expected = 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + (0.044715 * v * v * v))));
            Assert.True(Math.Abs(y[i] - expected) < 1e-5, $"gelu({v}) = {y[i]}, expected {expected}");
        }
    }

    [Fact]
    public void LayerNorm_matches_the_definition()
    {
        var random = new Random(3);
        var x = Enumerable.Range(0, 96).Select(_ => (float)((random.NextDouble() * 4) - 1)).ToArray();
        var gamma = Enumerable.Range(0, 96).Select(_ => (float)random.NextDouble()).ToArray();
        var beta = Enumerable.Range(0, 96).Select(_ => (float)random.NextDouble()).ToArray();
        var y = new float[96];
        LayerNormJob.Normalize(x, y, gamma, beta, 1e-5f);

        var mean = x.Average(v => (double)v);
        var variance = x.Average(v => (v - mean) * (v - mean));
        for (var i = 0; i < x.Length; i++)
        {
            var expected = ((x[i] - mean) / Math.Sqrt(variance + 1e-5) * gamma[i]) + beta[i];
            Assert.True(Math.Abs(y[i] - expected) < 1e-5, $"y[{i}] = {y[i]}, expected {expected}");
        }
    }

    public static TheoryData<int, int, int, int> AttentionShapes => new()
    {
        { 4, 4, 2, 1 },    // D = 2: one query and one key at a time; key 0 is padding, so query 0 has no key
        { 19, 128, 2, 3 }, // D = 64 (every GPT-2 size): 8 x 8 tiles, a partial last tile, three padded keys
        { 9, 32, 2, 0 },   // D = 16: tiles, no padding
    };

    [Theory]
    [MemberData(nameof(AttentionShapes))]
    public unsafe void Attention_respects_causality_and_padding_and_zeroes_queries_without_keys(int t, int c, int heads, int padded)
    {
        // B = 1; left padding: keys [0, padded) are masked out, so queries before the first real key get zeros.
        var random = new Random(7);
        var qkv = Enumerable.Range(0, t * 3 * c).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var mask = Enumerable.Range(0, t).Select(j => (byte)(j < padded ? 0 : 1)).ToArray();
        var output = new float[t * c];
        var job = new AttentionJob();
        fixed (float* q = qkv)
        fixed (float* o = output)
        fixed (byte* m = mask)
        {
            job.Set(q, o, m, t, c, heads);
            job.Execute(0, heads);
        }

        Assert.All(output[..(padded * c)], v => Assert.Equal(0f, v));
        var d = c / heads;
        for (var h = 0; h < heads; h++)
        {
            for (var i = padded; i < t; i++)
            {
                var keys = Enumerable.Range(padded, i - padded + 1).ToArray();  // j <= i and mask[j] = 1
                var scores = keys.Select(j => Enumerable.Range(0, d).Sum(e => (double)qkv[(i * 3 * c) + (h * d) + e] * qkv[(j * 3 * c) + c + (h * d) + e]) / Math.Sqrt(d)).ToArray();
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var e = 0; e < d; e++)
                {
                    var expected = keys.Select((j, n) => weights[n] / total * qkv[(j * 3 * c) + (2 * c) + (h * d) + e]).Sum();
                    var actual = output[(i * c) + (h * d) + e];
                    Assert.True(Math.Abs(actual - expected) < 1e-5, $"head {h}, query {i}, dim {e}: {actual} vs {expected}");
                }
            }
        }
    }
}
