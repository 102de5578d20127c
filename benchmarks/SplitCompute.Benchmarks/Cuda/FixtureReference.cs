using System.Runtime.InteropServices;
using SplitCompute.Model.Forward;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Benchmarks.Cuda;

/// <summary>
/// A Hugging Face fixture (NAME/config.json, model.safetensors, reference.safetensors: input_ids, attention_mask, embeddings,
/// block_out.i, last_hidden_state), read for the GPU parity run where no test runner exists.
/// </summary>
internal sealed class FixtureReference : IDisposable
{
    private readonly SafeTensorsFile _file;

    public FixtureReference(string modelDirectory)
    {
        ModelDirectory = modelDirectory;
        _file = SafeTensorsFile.Open(Path.Combine(modelDirectory, "reference.safetensors"));
        var idsInfo = _file.Tensors["input_ids"];
        var (b, t) = ((int)idsInfo.Shape[0], (int)idsInfo.Shape[1]);
        var ids = MemoryMarshal.Cast<byte, long>(_file.GetBytes(idsInfo));
        var mask = MemoryMarshal.Cast<byte, long>(_file.GetBytes(_file.Tensors["attention_mask"]));
        Batch = new TokenBatch(b, t, [.. ids.ToArray().Select(v => (int)v)], [.. mask.ToArray().Select(v => (byte)v)]);
    }

    public string ModelDirectory { get; }

    public TokenBatch Batch { get; }

    public float[] Tensor(string name) => MemoryMarshal.Cast<byte, float>(_file.GetBytes(_file.Tensors[name])).ToArray();

    public void Dispose() => _file.Dispose();
}
