using System.Runtime.InteropServices;
using SplitCompute.Model.Config;
using SplitCompute.Model.Gpt2;
using SplitCompute.Model.SafeTensors;
using SplitCompute.Tokenization;

namespace SplitCompute.Model.Init;

/// <summary>
/// Writes a complete Hugging Face GPT-2 model directory (config.json, model.safetensors, vocab.json, merges.txt) with seeded
/// random weights, initialised as transformers' GPT2PreTrainedModel does: N(0, 0.02) matrices and embeddings, c_proj scaled by
/// 1/sqrt(2 n_layer), zero biases, unit LayerNorm gains. No hub is reachable, so this is the product's embedded default model.
/// </summary>
public static class RandomModelWriter
{
    private const float Std = 0.02f;
    private const int ChunkElements = 1 << 20;

    public static void Write(string directory, Gpt2Config config, ulong seed, TensorDType dtype = TensorDType.F32)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (dtype is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16))
            throw new ArgumentException($"model weights must be F32, F16 or BF16, not {dtype}", nameof(dtype));
        Directory.CreateDirectory(directory);

        var writer = new SafeTensorsWriter(new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["splitcompute.seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var c = config.NEmbd;
        var projectionStd = Std / MathF.Sqrt(2f * config.NLayer);
        void Add(string name, long[] shape, float mean, float std) =>
            writer.Add("transformer." + name, dtype, shape, bytes => Fill(bytes, dtype, seed, name, mean, std));

        Add(Gpt2TensorNames.TokenEmbedding, [config.VocabSize, c], 0f, Std);
        Add(Gpt2TensorNames.PositionEmbedding, [config.NPositions, c], 0f, Std);
        for (var layer = 0; layer < config.NLayer; layer++)
        {
            foreach (var suffix in Gpt2TensorNames.LayerSuffixes)
            {
                var (mean, std) = suffix switch
                {
                    "ln_1.weight" or "ln_2.weight" => (1f, 0f),
                    _ when suffix.EndsWith(".bias", StringComparison.Ordinal) => (0f, 0f),
                    "attn.c_proj.weight" or "mlp.c_proj.weight" => (0f, projectionStd),
                    _ => (0f, Std),
                };
                Add(Gpt2TensorNames.Layer(layer, suffix), Gpt2TensorNames.LayerShape(suffix, c), mean, std);
            }
        }
        Add(Gpt2TensorNames.FinalNormWeight, [c], 1f, 0f);
        Add(Gpt2TensorNames.FinalNormBias, [c], 0f, 0f);

        writer.Write(Path.Combine(directory, "model.safetensors"));
        config.Save(directory);
        Gpt2Vocabulary.WriteDefaultFiles(directory);
    }

    /// <summary>Fills a tensor's bytes chunk by chunk in parallel; each chunk has its own deterministic stream.</summary>
    internal static void Fill(Span<byte> bytes, TensorDType dtype, ulong seed, string name, float mean, float std)
    {
        var elementSize = dtype.SizeOf();
        var count = bytes.Length / elementSize;
        unsafe
        {
            fixed (byte* basePointer = bytes)
            {
                var address = (nint)basePointer;
                var chunks = (count + ChunkElements - 1) / ChunkElements;
                Parallel.For(0, chunks, chunk =>
                {
                    var start = chunk * ChunkElements;
                    var length = Math.Min(ChunkElements, count - start);
                    var values = new float[length];
                    var random = new SeededNormal(seed, name, chunk);
                    for (var i = 0; i < length; i++) values[i] = std == 0f ? mean : random.Next(mean, std);
                    var target = new Span<byte>((byte*)address + ((long)start * elementSize), length * elementSize);
                    Encode(values, dtype, target);
                });
            }
        }
    }

    private static void Encode(ReadOnlySpan<float> values, TensorDType dtype, Span<byte> target)
    {
        switch (dtype)
        {
            case TensorDType.F32:
                MemoryMarshal.AsBytes(values).CopyTo(target);
                break;
            case TensorDType.F16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(target));
                break;
            default:
                var bf16 = MemoryMarshal.Cast<byte, ushort>(target);
                for (var i = 0; i < values.Length; i++) bf16[i] = BFloat16.FromSingle(values[i]);
                break;
        }
    }
}
