using SplitCompute.Model.Forward;
using System.Runtime.InteropServices;
using SplitCompute.Model.Encoders;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.Encoders;

/// <summary>
/// The CPU encoder (issue 22) on a seeded 2-layer model: against a plain double-precision restatement of BertModel written here
/// from its equations, split at every k, and unchanged by padding. (Hugging Face's own outputs for such models are still to be
/// generated on the GPU machine, which has transformers.)
/// </summary>
public sealed class BertCpuEncoderTests : IDisposable
{
    private static readonly EncoderPreset Small = new("small-test",
        new BertConfig("bert", 30_522, HiddenSize: 32, NumLayers: 2, NumHeads: 4, IntermediateSize: 64, MaxPositions: 64, TypeVocabSize: 2, LayerNormEpsilon: 1e-12f, PadTokenId: 0),
        SentencePooling.Mean, Normalize: true, MaxSequenceLength: 64);

    private readonly string _dir = Directory.CreateTempSubdirectory("bert-cpu-").FullName;

    public BertCpuEncoderTests() => RandomEncoderWriter.Write(_dir, Small, seed: 3);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly int[][] Ids = [[101, 7592, 1010, 2088, 999, 102], [101, 2748, 102]];

    [Fact]
    public void Every_layer_matches_BertModels_equations_on_padded_sequences()
    {
        using var encoder = BertCpuEncoder.Load(_dir, Small.Config);
        using var checkpoint = Checkpoint.Open(_dir);
        var state = encoder.Embed(Ids);
        var reference = Reference.Embed(checkpoint, Small.Config, Ids);
        AssertClose(reference, state, "embeddings");
        for (var layer = 0; layer < Small.Config.NumLayers; layer++)
        {
            encoder.RunLayers(state, layer, layer + 1);
            reference = Reference.Block(checkpoint, Small.Config, reference, Ids, layer);
            AssertClose(reference, state, $"layer {layer}");
        }
    }

    [Fact]
    public void A_sequence_gets_the_same_embedding_alone_and_padded_beside_a_longer_one_and_split_anywhere()
    {
        using var encoder = BertCpuEncoder.Load(_dir, Small.Config);
        var batched = encoder.Embed(Ids);
        encoder.RunLayers(batched, 0, 2);
        var alone = encoder.Embed([Ids[1]]);
        encoder.RunLayers(alone, 0, 1);   // split at k = 1: the rest later, as an edge would
        encoder.RunLayers(alone, 1, 2);
        foreach (var pooling in new[] { SentencePooling.Mean, SentencePooling.Cls, SentencePooling.Max })
        {
            var a = encoder.Pool(batched, pooling, normalize: true)[1];
            var b = encoder.Pool(alone, pooling, normalize: true)[0];
            Assert.True(a.Zip(b).All(p => Math.Abs(p.First - p.Second) <= 1e-5), $"{pooling}: padding changed the embedding");
            Assert.Equal(1.0, Math.Sqrt(a.Sum(x => (double)x * x)), 4);
        }
    }

    [Fact]
    public void Erf_and_GELU_are_exact_enough()
    {
        (double X, double Erf)[] table = [(0, 0), (0.5, 0.5204998778), (1, 0.8427007929), (-1.5, -0.9661051465), (3, 0.9999779095)];
        foreach (var (x, erf) in table) Assert.Equal(erf, BertCpuEncoder.Erf((float)x), 6);
        Assert.Equal(0.8413447461, BertCpuEncoder.Gelu(1f), 6);  // 1 * Phi(1)
    }

    private static void AssertClose(double[] expected, HiddenState actual, string what)
    {
        for (var b = 0; b < Ids.Length; b++)
        {
            for (var p = 0; p < Ids[b].Length; p++)  // padded rows are never used: only real ones must match
            {
                var row = actual.Row(b, p);
                for (var i = 0; i < row.Length; i++)
                {
                    var e = expected[(((b * actual.Batch.SequenceLength) + p) * actual.Channels) + i];
                    Assert.True(Math.Abs(e - row[i]) <= 1e-4, $"{what}: sequence {b} position {p} channel {i}: {row[i]} vs {e}");
                }
            }
        }
    }

    /// <summary>BertModel in doubles, loop by loop, from the equations (no code shared with the encoder).</summary>
    private static class Reference
    {
        private static double[] Read(Checkpoint c, string name) => [.. MemoryMarshal.Cast<float, float>(c.ReadFloat32(name).Span).ToArray().Select(f => (double)f)];

        public static double[] Embed(Checkpoint ck, BertConfig c, int[][] ids)
        {
            var (w, pos, type) = (Read(ck, "embeddings.word_embeddings.weight"), Read(ck, "embeddings.position_embeddings.weight"), Read(ck, "embeddings.token_type_embeddings.weight"));
            var t = ids.Max(s => s.Length);
            var x = new double[ids.Length * t * c.HiddenSize];
            for (var b = 0; b < ids.Length; b++)
                for (var p = 0; p < ids[b].Length; p++)
                    for (var i = 0; i < c.HiddenSize; i++)
                        x[(((b * t) + p) * c.HiddenSize) + i] = w[(ids[b][p] * c.HiddenSize) + i] + pos[(p * c.HiddenSize) + i] + type[i];
            return Norm(ck, c, x, "embeddings.LayerNorm");
        }

        public static double[] Block(Checkpoint ck, BertConfig c, double[] x, int[][] ids, int layer)
        {
            var p = $"encoder.layer.{layer}.";
            var (h, d, t) = (c.HiddenSize, c.HeadDim, ids.Max(s => s.Length));
            var rows = x.Length / h;
            double[] Lin(double[] input, string name, int inW, int outW)
            {
                var (wt, bias) = (Read(ck, name + ".weight"), Read(ck, name + ".bias"));
                var y = new double[rows * outW];
                for (var r = 0; r < rows; r++)
                    for (var o = 0; o < outW; o++)
                    {
                        var sum = bias[o];
                        for (var i = 0; i < inW; i++) sum += input[(r * inW) + i] * wt[(o * inW) + i];
                        y[(r * outW) + o] = sum;
                    }
                return y;
            }
            var (q, k, v) = (Lin(x, p + "attention.self.query", h, h), Lin(x, p + "attention.self.key", h, h), Lin(x, p + "attention.self.value", h, h));
            var ctx = new double[x.Length];
            for (var b = 0; b < ids.Length; b++)
                for (var head = 0; head < c.NumHeads; head++)
                    for (var i = 0; i < t; i++)
                    {
                        var scores = new double[ids[b].Length];
                        for (var j = 0; j < scores.Length; j++)
                        {
                            double dot = 0;
                            for (var e = 0; e < d; e++) dot += q[(((b * t) + i) * h) + (head * d) + e] * k[(((b * t) + j) * h) + (head * d) + e];
                            scores[j] = dot / Math.Sqrt(d);
                        }
                        var max = scores.Max();
                        var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                        var total = exp.Sum();
                        for (var j = 0; j < scores.Length; j++)
                            for (var e = 0; e < d; e++) ctx[(((b * t) + i) * h) + (head * d) + e] += exp[j] / total * v[(((b * t) + j) * h) + (head * d) + e];
                    }
            var attended = Lin(ctx, p + "attention.output.dense", h, h);
            var x1 = Norm(ck, c, [.. attended.Zip(x, (a, r) => a + r)], p + "attention.output.LayerNorm");
            var inner = Lin(x1, p + "intermediate.dense", h, c.IntermediateSize).Select(z => 0.5 * z * (1 + Erf(z / Math.Sqrt(2)))).ToArray();
            var output = Lin(inner, p + "output.dense", c.IntermediateSize, h);
            return Norm(ck, c, [.. output.Zip(x1, (a, r) => a + r)], p + "output.LayerNorm");
        }

        private static double[] Norm(Checkpoint ck, BertConfig c, double[] x, string name)
        {
            var (g, bta) = (Read(ck, name + ".weight"), Read(ck, name + ".bias"));
            var h = c.HiddenSize;
            var y = new double[x.Length];
            for (var r = 0; r < x.Length / h; r++)
            {
                var row = x.AsSpan(r * h, h).ToArray();
                var mean = row.Average();
                var variance = row.Select(v => (v - mean) * (v - mean)).Average();
                for (var i = 0; i < h; i++) y[(r * h) + i] = ((row[i] - mean) / Math.Sqrt(variance + c.LayerNormEpsilon) * g[i]) + bta[i];
            }
            return y;
        }

        /// <summary>erf by its Taylor series up to |x| = 2.5 (no cancellation there), by erfc's asymptotic series beyond (error below 1e-6).</summary>
        private static double Erf(double x)
        {
            var a = Math.Abs(x);
            if (a > 2.5)
            {
                var z = 1 / (2 * a * a);
                var erfc = Math.Exp(-a * a) / (a * Math.Sqrt(Math.PI)) * (1 - z + (3 * z * z) - (15 * z * z * z) + (105 * z * z * z * z));
                return Math.Sign(x) * (1 - erfc);
            }
            double sum = 0, term = x;
            for (var n = 0; n < 60; n++)
            {
                sum += term / ((2 * n) + 1);
                term *= -x * x / (n + 1);
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
    }
}
