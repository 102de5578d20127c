using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Protocol.Frames;

namespace SplitCompute.Protocol.Tests.Frames;

/// <summary>
/// Frame headers built field by field with hostile values (negative, zero, huge and overflowing shapes and lengths, unknown
/// dtypes and kinds, k beyond n, wrong JSON types) are refused with a <see cref="ProtocolException"/> before any payload-sized
/// allocation; the byte-mutation properties in <see cref="FrameMutationPropertyTests"/> reach such values only by chance.
/// </summary>
public sealed class FrameHeaderPropertyTests
{
    private static readonly FrameLimits Limits = new() { MaxPayloadBytes = 1 << 20, MaxHeaderBytes = 1 << 16 };

    private static readonly Gen<JsonNode?> HostileInt = Gen.Elements<long>(-1, 0, 1, 3, 8, 1 << 20, int.MaxValue, (long)int.MaxValue + 1, long.MaxValue, long.MinValue)
        .Select(v => (JsonNode?)JsonValue.Create(v));

    private static readonly Gen<JsonNode?> Wrong = Gen.Elements<JsonNode?>(null, JsonValue.Create("8"), JsonValue.Create(1.5), JsonValue.Create(true), new JsonObject());

    private static Gen<JsonNode?> Field(Gen<JsonNode?> plausible) => Gen.Frequency((6, plausible), (1, Wrong));

    private static Gen<JsonNode?> IntArray() => Gen.Frequency(
        (5, Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(HostileInt, n)).Select(a => (JsonNode?)new JsonArray([.. a.Select(v => v?.DeepClone())]))),
        (1, Wrong));

    [Fact]
    public async Task HostileHeadersAreRefusedWithProtocolException()
    {
        var valid = FrameWriter.ToArray(Fixtures.SmallHidden());
        var (template, payload) = Fixtures.Split(valid);
        var header =
            from kind in Field(Gen.Elements<JsonNode?>("hidden", "embeddings", "HIDDEN", "logits", ""))
            from dtype in Field(Gen.Elements<JsonNode?>("f32", "f16", "bf16", "F32", "f64", "i8", ""))
            from k in Field(HostileInt)
            from n in Field(HostileInt)
            from shape in IntArray()
            from lengths in IntArray()
            from dropManifest in Gen.Elements(false, true)
            select Build(template, kind, dtype, k, n, shape, lengths, dropManifest);

        var property = Prop.ForAll(header.ToArbitrary(), json =>
        {
            var bytes = Fixtures.Raw(json, payload);
            try
            {
                var frame = FrameReader.Read(bytes, Limits);
                // Accepted only if it is self-consistent: the payload it claims is the payload it has.
                Assert.Equal(payload.Length, frame.Data.Length * (frame.DType == FrameDType.F32 ? 4 : 2));
            }
            catch (ProtocolException e)
            {
                Assert.False(string.IsNullOrEmpty(e.Message));
            }
        });
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), property)).WaitAsync(TimeSpan.FromMinutes(2));
    }

    private static string Build(JsonObject template, JsonNode? kind, JsonNode? dtype, JsonNode? k, JsonNode? n, JsonNode? shape, JsonNode? lengths, bool dropManifest)
    {
        var header = (JsonObject)template.DeepClone();
        header["kind"] = kind?.DeepClone();
        header["dtype"] = dtype?.DeepClone();
        header["k"] = k?.DeepClone();
        header["n"] = n?.DeepClone();
        header["shape"] = shape?.DeepClone();
        header["lengths"] = lengths?.DeepClone();
        if (dropManifest) header.Remove("manifest");
        return header.ToJsonString();
    }
}
