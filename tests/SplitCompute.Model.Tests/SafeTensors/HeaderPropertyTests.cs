using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Model.SafeTensors;

namespace SplitCompute.Model.Tests.SafeTensors;

/// <summary>
/// Safetensors headers built entry by entry with hostile values (negative, huge and overflowing shapes, unknown dtypes, offsets
/// outside the data, the wrong JSON types, an absurd header length) open only when they are consistent, and otherwise fail with
/// <see cref="ModelFormatException"/>: a shard or checkpoint from an untrusted source cannot crash or exhaust the reader.
/// <see cref="MutationPropertyTests"/> corrupts bytes of a valid file; this generates the values directly.
/// </summary>
public sealed class HeaderPropertyTests
{
    private const int DataBytes = 64;

    private static readonly Gen<JsonNode?> HostileInt = Gen.Elements<long>(-1, 0, 1, 2, 4, 16, 64, 65, int.MaxValue, (long)int.MaxValue + 1, 1L << 53, long.MaxValue, long.MinValue)
        .Select(v => (JsonNode?)JsonValue.Create(v));

    private static readonly Gen<JsonNode?> Wrong = Gen.Elements<JsonNode?>(null, JsonValue.Create("4"), JsonValue.Create(2.5), JsonValue.Create(false), new JsonObject());

    private static Gen<JsonNode?> Array(int max) => Gen.Frequency(
        (6, Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(HostileInt, n)).Select(a => (JsonNode?)new JsonArray([.. a.Select(v => v?.DeepClone())]))),
        (1, Wrong));

    private static readonly Gen<JsonNode?> DType = Gen.Frequency(
        (6, Gen.Elements<JsonNode?>("F32", "F16", "BF16", "I64", "U8", "F64", "f32", "Q4_0", "", "F32 ")),
        (1, Wrong));

    /// <summary>A case the property found: a zero-element tensor opens, placed at the start of the data region.</summary>
    [Fact]
    public void AnEmptyTensorOpensAtTheStartOfTheDataRegion()
    {
        using var dir = new TempDirectory();
        var bytes = RawFile.Build("""{"t0":{"dtype":"I64","shape":[16,0,4],"data_offsets":[0,0]}}""", DataBytes);
        var path = RawFile.Write(dir, "empty.safetensors", bytes);
        using var file = SafeTensorsFile.Open(path);
        var tensor = file.Tensors["t0"];
        Assert.Equal(0, tensor.ByteLength);
        Assert.Equal(bytes.Length - DataBytes, tensor.DataOffset);
        Assert.Equal(0, file.GetBytes(tensor).Length);
    }

    [Fact]
    public async Task GeneratedHeadersOpenOnlyWhenConsistentElseModelFormatException()
    {
        using var dir = new TempDirectory();
        var entry =
            from dtype in DType
            from shape in Array(4)
            from offsets in Array(3)
            select new JsonObject { ["dtype"] = dtype?.DeepClone(), ["shape"] = shape?.DeepClone(), ["data_offsets"] = offsets?.DeepClone() };
        var header = Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(entry, n)).Select(entries =>
        {
            var o = new JsonObject();
            for (var i = 0; i < entries.Length; i++) o[$"t{i}"] = entries[i].DeepClone();
            return o.ToJsonString();
        });
        var lengthPrefix = Gen.Frequency((8, Gen.Constant<ulong?>(null)), (1, Gen.Elements<ulong?>(0, 1, ulong.MaxValue, 1UL << 62, (ulong)int.MaxValue + 1)));
        var cases = header.SelectMany(_ => lengthPrefix, (h, l) => (Header: h, Length: l));
        var path = dir.File("generated.safetensors");

        var property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var bytes = RawFile.Build(c.Header, DataBytes);
            if (c.Length is ulong length) BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), length);
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = SafeTensorsFile.Open(path);
                // Opened: every tensor must lie inside the data region (TensorInfo.DataOffset is absolute in the file, the
                // region its last DataBytes bytes) with a byte length its shape and dtype explain.
                long dataStart = bytes.Length - DataBytes;
                foreach (var tensor in file.Tensors.Values)
                {
                    Assert.InRange(tensor.DataOffset, dataStart, dataStart + DataBytes);
                    Assert.InRange(tensor.DataOffset + tensor.ByteLength, dataStart, dataStart + DataBytes);
                    Assert.Equal(tensor.ByteLength, file.GetBytes(tensor).Length);
                }
            }
            catch (ModelFormatException e)
            {
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
            }
        });
        await Task.Run(() => Check.One(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(1500).WithQuietOnSuccess(true), property)).WaitAsync(TimeSpan.FromMinutes(2));
    }
}
