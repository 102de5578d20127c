using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.SafeTensors;

/// <summary>Reads the Hugging Face-written fixtures, the ground truth for what real files look like.</summary>
public sealed class FixtureTests
{
    [Fact]
    public void RawFileExposesHuggingFaceNamesShapesAndMetadata()
    {
        using var file = SafeTensorsFile.Open(RepositoryPaths.Fixture("gpt2-tiny", "model.safetensors"));
        Assert.Equal("pt", file.Metadata["format"]);
        var info = file.Tensors["transformer.h.0.attn.c_attn.weight"];
        Assert.Equal(TensorDType.F32, info.DType);
        Assert.Equal([64L, 192L], info.Shape);
        Assert.Equal(64 * 192, info.ElementCount);
        Assert.Equal(64 * 192 * 4, info.ByteLength);
        Assert.Equal(64 * 192 * 4, file.GetBytes(info).Length);
        Assert.Equal(0, info.DataOffset % 8); // HF pads the header: data is aligned
    }

    [Fact]
    public void CheckpointStripsPrefixAndReadsWeightsZeroCopy()
    {
        var dir = RepositoryPaths.Fixture("gpt2-tiny");
        using var checkpoint = Checkpoint.Open(dir);
        using var raw = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors"));

        Assert.Contains("h.0.attn.c_attn.weight", checkpoint.TensorNames);
        Assert.DoesNotContain(checkpoint.TensorNames, n => n.StartsWith("transformer.", StringComparison.Ordinal));
        Assert.Equal(4 * 12 + 4, checkpoint.TensorNames.Count());
        Assert.True(checkpoint.Contains("wte.weight"));
        Assert.True(checkpoint.Contains("transformer.wte.weight"));
        Assert.False(checkpoint.Contains("lm_head.weight"));

        var w = checkpoint.ReadFloat32("h.0.attn.c_attn.weight", 64, 192);
        Assert.Equal("h.0.attn.c_attn.weight", w.Name);
        Assert.Equal([64L, 192L], w.Shape);
        Assert.Equal(64 * 192, w.Length);
        var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw.GetBytes(raw.Tensors["transformer.h.0.attn.c_attn.weight"]));
        Assert.True(expected.SequenceEqual(w.Span));
        Assert.Same(w, checkpoint.ReadFloat32("transformer.h.0.attn.c_attn.weight", 64, 192));

        var wte = checkpoint.ReadFloat32("wte.weight", 1000, 64);
        Assert.Contains(wte.Span.ToArray(), v => v != 0);
        var lnGain = checkpoint.ReadFloat32("h.3.ln_1.weight", 64).Span;
        Assert.InRange(lnGain.ToArray().Average(), 0.8, 1.2); // LayerNorm gains were 1 + N(0, 0.1)
    }

    [Fact]
    public void ReferenceFileReadsInt64InputIds()
    {
        using var reference = Checkpoint.OpenFile(RepositoryPaths.Fixture("gpt2-tiny", "reference.safetensors"));
        var ids = reference.ReadInt64("input_ids");
        var mask = reference.ReadInt64("attention_mask");
        Assert.Equal(2 * 17, ids.Length);
        Assert.Equal(17 + 9, mask.ToArray().Sum()); // batch lengths [17, 9]
        Assert.All(ids.ToArray(), id => Assert.InRange(id, 0, 999));
        Assert.Equal(0, ids[17 + 9]); // right padding has id 0
        Assert.Equal(2 * 17 * 64, reference.ReadFloat32("last_hidden_state", 2, 17, 64).Length);
        Assert.Equal(2 * 64, reference.ReadFloat32("mean_pooled").Length);
    }

    [Fact]
    public void WrongShapeNamesFileTensorExpectedAndActual()
    {
        using var checkpoint = Checkpoint.Open(RepositoryPaths.Fixture("gpt2-tiny"));
        var e = Assert.Throws<ModelFormatException>(() => checkpoint.ReadFloat32("h.0.attn.c_attn.weight", 192, 64));
        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("transformer.h.0.attn.c_attn.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("[64, 192]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[192, 64]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingTensorNamesDirectoryAndTensor()
    {
        using var checkpoint = Checkpoint.Open(RepositoryPaths.Fixture("gpt2-tiny"));
        var e = Assert.Throws<ModelFormatException>(() => checkpoint.GetInfo("h.9.ln_1.weight"));
        Assert.Contains(RepositoryPaths.Fixture("gpt2-tiny"), e.Message, StringComparison.Ordinal);
        Assert.Contains("h.9.ln_1.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonFloatTensorIsRefusedByReadFloat32()
    {
        using var reference = Checkpoint.OpenFile(RepositoryPaths.Fixture("gpt2-tiny", "reference.safetensors"));
        var e = Assert.Throws<ModelFormatException>(() => reference.ReadFloat32("input_ids", 2, 17));
        Assert.Contains("reference.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("input_ids", e.Message, StringComparison.Ordinal);
        Assert.Contains("I64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DisposedCheckpointRefusesAccess()
    {
        var checkpoint = Checkpoint.Open(RepositoryPaths.Fixture("gpt2-tiny"));
        var w = checkpoint.ReadFloat32("ln_f.weight", 64);
        checkpoint.Dispose();
        checkpoint.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => w.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => checkpoint.ReadFloat32("ln_f.weight", 64));
    }
}
