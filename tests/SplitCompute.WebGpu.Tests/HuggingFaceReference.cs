using System.Runtime.InteropServices;
using SplitCompute.Model.Forward;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.WebGpu.Tests;

/// <summary>
/// Hugging Face transformers' float64 outputs for a fixture (tests/fixtures/NAME/reference.safetensors): the batch,
/// embeddings, block_out.i, last_hidden_state (B, T, C) and mean_pooled (B, C). Padded positions hold whatever HF computed.
/// </summary>
internal sealed class HuggingFaceReference : IDisposable
{
    private readonly SafeTensorsFile _file;

    public HuggingFaceReference(string fixture)
    {
        ModelDirectory = TestEnvironment.Fixture(fixture);
        _file = SafeTensorsFile.Open(Path.Combine(ModelDirectory, "reference.safetensors"));
        var idsInfo = _file.Tensors["input_ids"];
        var (b, t) = ((int)idsInfo.Shape[0], (int)idsInfo.Shape[1]);
        var ids = MemoryMarshal.Cast<byte, long>(_file.GetBytes(idsInfo));
        var mask = MemoryMarshal.Cast<byte, long>(_file.GetBytes(_file.Tensors["attention_mask"]));
        Batch = new TokenBatch(b, t, [.. ids.ToArray().Select(v => (int)v)], [.. mask.ToArray().Select(v => (byte)v)]);
    }

    public string ModelDirectory { get; }

    public TokenBatch Batch { get; }

    public float[] Tensor(string name) => MemoryMarshal.Cast<byte, float>(_file.GetBytes(_file.Tensors[name])).ToArray();

    /// <summary>The residual stream entering block k: the embeddings for k = 0, else block_out.(k-1).</summary>
    public HiddenState HiddenBefore(int k, int channels) =>
        new(Batch, channels, Tensor(k == 0 ? "embeddings" : $"block_out.{k - 1}"), k);

    /// <summary>Largest |actual - expected| over valid positions of a (B, T, C) tensor.</summary>
    public double MaxDifferenceOnValidPositions(float[] actual, string name)
    {
        var expected = Tensor(name);
        Assert.Equal(expected.Length, actual.Length);
        var c = expected.Length / (Batch.BatchSize * Batch.SequenceLength);
        var max = 0.0;
        for (var row = 0; row < Batch.BatchSize * Batch.SequenceLength; row++)
        {
            if (Batch.Mask[row] == 0) continue;
            for (var i = row * c; i < (row + 1) * c; i++) max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        }
        return max;
    }

    public void Dispose() => _file.Dispose();
}
