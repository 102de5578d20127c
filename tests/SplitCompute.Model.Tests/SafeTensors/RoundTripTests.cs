using System.Runtime.InteropServices;
using System.Text.Json;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.SafeTensors;

/// <summary>Files written by <see cref="SafeTensorsWriter"/> read back exactly through <see cref="Checkpoint"/>.</summary>
public sealed class RoundTripTests
{
    private static readonly float[] Values = [0f, 1f, -2.5f, 0.125f, 65504f, -0.0009765625f, 3.140625f, 100f, -7f, 0.5f, 2f, -1f];

    [Fact]
    public void F32RoundTripIsExactAndZeroCopy()
    {
        using var dir = new TempDirectory();
        var writer = new SafeTensorsWriter(new Dictionary<string, string> { ["format"] = "pt" });
        writer.Add("h.0.mlp.c_fc.weight", TensorDType.F32, [3, 4], s => MemoryMarshal.AsBytes(Values.AsSpan()).CopyTo(s));
        writer.Write(dir.File("model.safetensors"));
        Assert.False(File.Exists(dir.File("model.safetensors.tmp")));

        using var checkpoint = Checkpoint.Open(dir.Path);
        var w = checkpoint.ReadFloat32("h.0.mlp.c_fc.weight", 3, 4);
        Assert.Equal(Values, w.Span.ToArray());
        using var file = SafeTensorsFile.Open(dir.File("model.safetensors"));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(0, (8 + BitConverter.ToInt64(File.ReadAllBytes(file.FilePath), 0)) % 8);
    }

    [Fact]
    public void F16IsConvertedToFloat32()
    {
        using var dir = new TempDirectory();
        var halves = Values.Select(v => (Half)v).ToArray();
        var writer = new SafeTensorsWriter();
        writer.Add("wte.weight", TensorDType.F16, [4, 3], s => MemoryMarshal.AsBytes(halves.AsSpan()).CopyTo(s));
        writer.Write(dir.File("model.safetensors"));

        using var checkpoint = Checkpoint.Open(dir.Path);
        var w = checkpoint.ReadFloat32("wte.weight", 4, 3);
        Assert.Equal(halves.Select(h => (float)h).ToArray(), w.Span.ToArray());
        Assert.Equal(Values, w.Span.ToArray()); // all chosen values are exact in fp16
        unsafe { Assert.Equal(0, (long)w.Pointer % 64); }
        Assert.Same(w, checkpoint.ReadFloat32("wte.weight", 4, 3)); // converted once
    }

    [Fact]
    public unsafe void F16IsWidenedOnlyWhenItsFloatsAreRead_AndItsStoredBytesStayAsWritten()
    {
        using var dir = new TempDirectory();
        var halves = Values.Select(v => (Half)v).ToArray();
        var writer = new SafeTensorsWriter();
        writer.Add("h.0.attn.c_proj.weight", TensorDType.F16, [4, 3], s => MemoryMarshal.AsBytes(halves.AsSpan()).CopyTo(s));
        writer.Write(dir.File("model.safetensors"));

        var checkpoint = Checkpoint.Open(dir.Path);
        var w = checkpoint.ReadFloat32("h.0.attn.c_proj.weight", 4, 3);
        Assert.Equal(TensorDType.F16, w.StoredDType);
        Assert.Equal(halves.Length * 2, w.StoredByteLength);
        Assert.True(w.Converted == null);  // a GPU backend uploading f16 as it is never pays for a float copy
        Assert.Equal(MemoryMarshal.AsBytes(halves.AsSpan()).ToArray(), new ReadOnlySpan<byte>(w.StoredPointer, (int)w.StoredByteLength).ToArray());
        Assert.Equal(Values, w.Span.ToArray());
        Assert.True(w.Converted != null);
        Assert.True(w.Pointer == w.Converted);  // widened once, then kept
        checkpoint.Dispose();
        Assert.Throws<ObjectDisposedException>(() => (nint)w.StoredPointer);
        Assert.Throws<ObjectDisposedException>(() => (nint)w.Pointer);
    }

    [Fact]
    public unsafe void F32StaysAViewOfTheMapping()
    {
        using var dir = new TempDirectory();
        var writer = new SafeTensorsWriter();
        writer.Add("ln_f.weight", TensorDType.F32, [Values.Length], s => MemoryMarshal.AsBytes(Values.AsSpan()).CopyTo(s));
        writer.Write(dir.File("model.safetensors"));

        using var checkpoint = Checkpoint.Open(dir.Path);
        var w = checkpoint.ReadFloat32("ln_f.weight", Values.Length);
        Assert.Equal(TensorDType.F32, w.StoredDType);
        Assert.True(w.Pointer == (float*)w.StoredPointer);
    }

    [Fact]
    public void Bf16IsConvertedByShifting()
    {
        using var dir = new TempDirectory();
        // Long enough to exercise the vectorized path and its scalar tail.
        var floats = Enumerable.Range(0, 1000).Select(i => BitConverter.UInt32BitsToSingle((uint)(i * 2654435761u) & 0xFFFF0000u))
            .Where(float.IsFinite).Take(777).ToArray();
        var bf16 = floats.Select(f => (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16)).ToArray();
        var writer = new SafeTensorsWriter();
        writer.Add("transformer.wpe.weight", TensorDType.BF16, [floats.Length], s => MemoryMarshal.AsBytes(bf16.AsSpan()).CopyTo(s));
        writer.Write(dir.File("model.safetensors"));

        using var checkpoint = Checkpoint.Open(dir.Path);
        var w = checkpoint.ReadFloat32("wpe.weight", floats.Length);
        Assert.Equal(floats.Select(BitConverter.SingleToUInt32Bits), w.Span.ToArray().Select(BitConverter.SingleToUInt32Bits));
    }

    [Theory]
    [InlineData("transformer.")]
    [InlineData("")]
    public void NamesWithAndWithoutPrefixAreCanonical(string prefix)
    {
        using var dir = new TempDirectory();
        var writer = new SafeTensorsWriter();
        writer.Add(prefix + "ln_f.bias", TensorDType.F32, [2], s => MemoryMarshal.AsBytes(new[] { 1f, 2f }.AsSpan()).CopyTo(s));
        writer.Add("lm_head.weight", TensorDType.F32, [1], s => MemoryMarshal.AsBytes(new[] { 3f }.AsSpan()).CopyTo(s));
        writer.Write(dir.File("model.safetensors"));

        using var checkpoint = Checkpoint.Open(dir.Path);
        Assert.Equal(["ln_f.bias", "lm_head.weight"], checkpoint.TensorNames);
        Assert.Equal(prefix + "ln_f.bias", checkpoint.GetInfo("ln_f.bias").Name);
        Assert.Equal([1f, 2f], checkpoint.ReadFloat32("ln_f.bias", 2).Span.ToArray());
        Assert.Equal([1f, 2f], checkpoint.ReadFloat32("transformer.ln_f.bias", 2).Span.ToArray());
    }

    [Fact]
    public void BothSpellingsOfOneNameAreAmbiguous()
    {
        using var dir = new TempDirectory();
        var writer = new SafeTensorsWriter();
        writer.Add("wte.weight", TensorDType.F32, [1], _ => { });
        writer.Add("transformer.wte.weight", TensorDType.F32, [1], _ => { });
        writer.Write(dir.File("model.safetensors"));
        var e = Assert.Throws<ModelFormatException>(() => Checkpoint.Open(dir.Path));
        Assert.Contains("transformer.wte.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShardedCheckpointReadsAcrossFiles()
    {
        using var dir = new TempDirectory();
        WriteShards(dir, new Dictionary<string, string>
        {
            ["transformer.wte.weight"] = "model-00001-of-00002.safetensors",
            ["transformer.h.0.ln_1.weight"] = "model-00001-of-00002.safetensors",
            ["transformer.ln_f.weight"] = "model-00002-of-00002.safetensors",
        });

        using var checkpoint = Checkpoint.Open(dir.Path);
        Assert.Equal(["wte.weight", "h.0.ln_1.weight", "ln_f.weight"], checkpoint.TensorNames);
        Assert.Equal(2, checkpoint.FilePaths.Count);
        Assert.Equal([1f, 1f, 1f, 1f, 1f, 1f], checkpoint.ReadFloat32("wte.weight", 2, 3).Span.ToArray());
        Assert.Equal([1f, 1f, 1f], checkpoint.ReadFloat32("h.0.ln_1.weight", 3).Span.ToArray());
        Assert.Equal([2f, 2f, 2f], checkpoint.ReadFloat32("ln_f.weight", 3).Span.ToArray());
        Assert.EndsWith("model-00002-of-00002.safetensors", checkpoint.GetFilePath("ln_f.weight"), StringComparison.Ordinal);
    }

    [Fact]
    public void WriterStreamsTensorsInAddOrderWithExactSpans()
    {
        using var dir = new TempDirectory();
        var calls = new List<(string, int)>();
        var writer = new SafeTensorsWriter();
        writer.Add("x", TensorDType.U8, [5], s => { calls.Add(("x", s.Length)); s.Fill(9); });
        writer.Add("y", TensorDType.I32, [2, 2], s => calls.Add(("y", s.Length)));
        writer.Add("z", TensorDType.F32, [0, 4], s => calls.Add(("z", s.Length)));
        Assert.Empty(calls); // nothing produced before Write
        writer.Write(dir.File("m.safetensors"));
        Assert.Equal([("x", 5), ("y", 16), ("z", 0)], calls);

        using var file = SafeTensorsFile.Open(dir.File("m.safetensors"));
        Assert.Equal(Enumerable.Repeat((byte)9, 5), file.GetBytes(file.Tensors["x"]).ToArray());
        Assert.All(file.GetBytes(file.Tensors["y"]).ToArray(), b => Assert.Equal(0, b)); // spans are zeroed before fill
        Assert.Equal(0, file.Tensors["z"].ElementCount);
    }

    [Fact]
    public void WriterRefusesBadDeclarations()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("a", TensorDType.F32, [1], _ => { });
        Assert.Throws<ArgumentException>(() => writer.Add("a", TensorDType.F32, [1], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", TensorDType.F32, [1], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.Add("neg", TensorDType.F32, [-1], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.Add("huge", TensorDType.F32, [1L << 30, 4], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.Add("overflow", TensorDType.F32, [long.MaxValue, 2], _ => { }));
    }

    [Fact]
    public void FailedFillLeavesNoFileBehind()
    {
        using var dir = new TempDirectory();
        var writer = new SafeTensorsWriter();
        writer.Add("a", TensorDType.F32, [1], _ => throw new InvalidOperationException("boom"));
        Assert.Throws<InvalidOperationException>(() => writer.Write(dir.File("m.safetensors")));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    /// <summary>Writes one shard per distinct file in <paramref name="map"/> (the i-th file's values are i+1) and the index.</summary>
    internal static void WriteShards(TempDirectory dir, Dictionary<string, string> map, Dictionary<string, string>? indexOverride = null)
    {
        var files = map.Values.Distinct().ToList();
        foreach (var (file, i) in files.Select((f, i) => (f, i)))
        {
            var writer = new SafeTensorsWriter(new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var name in map.Where(kv => kv.Value == file).Select(kv => kv.Key))
            {
                long[] shape = name.Contains("wte", StringComparison.Ordinal) ? [2, 3] : [3];
                var value = (float)(i + 1);
                writer.Add(name, TensorDType.F32, shape, s => MemoryMarshal.Cast<byte, float>(s).Fill(value));
            }
            writer.Write(dir.File(file));
        }
        var index = new { metadata = new { total_size = 0 }, weight_map = indexOverride ?? map };
        File.WriteAllText(dir.File("model.safetensors.index.json"), JsonSerializer.Serialize(index));
    }
}
