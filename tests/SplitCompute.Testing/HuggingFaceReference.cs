using System.Runtime.InteropServices;
using SplitCompute.Model.Forward;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Testing;

/// <summary>
/// What Hugging Face transformers computed for a fixture (NAME/reference.safetensors beside its config.json and weights):
/// input_ids and attention_mask (B, T), embeddings, block_out.i, last_hidden_state (B, T, C) and mean_pooled (B, C).
/// Padded positions hold whatever HF computed there, so compare valid positions only.
/// </summary>
public sealed class HuggingFaceReference : IDisposable
{
    private readonly SafeTensorsFile _file;

    /// <param name="modelDirectory">A fixture's directory (the benchmarks pass one of their own; tests use <see cref="Fixture"/>).</param>
    public HuggingFaceReference(string modelDirectory)
    {
        ModelDirectory = modelDirectory;
        _file = SafeTensorsFile.Open(Path.Combine(modelDirectory, "reference.safetensors"));
        var idsInfo = _file.Tensors["input_ids"];
        var (b, t) = ((int)idsInfo.Shape[0], (int)idsInfo.Shape[1]);
        var ids = MemoryMarshal.Cast<byte, long>(_file.GetBytes(idsInfo));
        var mask = MemoryMarshal.Cast<byte, long>(_file.GetBytes(_file.Tensors["attention_mask"]));
        Batch = new TokenBatch(b, t, [.. ids.ToArray().Select(v => (int)v)], [.. mask.ToArray().Select(v => (byte)v)]);
    }

    /// <summary>The reference of the committed fixture <paramref name="name"/> (tests/fixtures/NAME).</summary>
    public static HuggingFaceReference Fixture(string name) => new(RepositoryPaths.Fixture(name));

    public string ModelDirectory { get; }

    public TokenBatch Batch { get; }

    public float[] Tensor(string name) => MemoryMarshal.Cast<byte, float>(_file.GetBytes(_file.Tensors[name])).ToArray();

    /// <summary>The residual stream entering block k: the embeddings for k = 0, else block_out.(k-1).</summary>
    public HiddenState HiddenBefore(int k, int channels) =>
        new(Batch, channels, Tensor(k == 0 ? "embeddings" : $"block_out.{k - 1}"), k);

    /// <summary>Largest |actual - expected| over valid positions of a (B, T, C) tensor, llm.c's check_tensor style.</summary>
    public double MaxDifferenceOnValidPositions(float[] actual, string name)
    {
        ArgumentNullException.ThrowIfNull(actual);
        var expected = Tensor(name);
        if (expected.Length != actual.Length)
            throw new ArgumentException($"{name} has {expected.Length} elements in {ModelDirectory}, the tensor compared with it {actual.Length}", nameof(actual));
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
