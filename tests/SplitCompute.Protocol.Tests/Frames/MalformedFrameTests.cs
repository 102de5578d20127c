using System.Buffers.Binary;
using System.Text.Json.Nodes;
using SplitCompute.Protocol.Frames;

namespace SplitCompute.Protocol.Tests.Frames;

/// <summary>One case per rule: the reader refuses with a ProtocolException whose message names the field, expected vs found, and the offset.</summary>
public sealed class MalformedFrameTests
{
    private static ProtocolException Refused(byte[] bytes, FrameLimits? limits = null)
    {
        var fromSpan = Assert.Throws<ProtocolException>(() => FrameReader.Read(bytes, limits));
        // The stream reader must refuse the same frame with the same complaint.
        var fromStream = Assert.Throws<ProtocolException>(() => FrameReader.Read(new MemoryStream(bytes), limits));
        Assert.Equal(fromSpan.Field, fromStream.Field);
        return fromSpan;
    }

    private static byte[] Valid() => FrameWriter.ToArray(Fixtures.SmallHidden());

    [Fact]
    public void BadMagic()
    {
        var bytes = Valid();
        bytes[0] = (byte)'X';
        var e = Refused(bytes);
        Assert.Equal("magic (byte 0): expected magic \"SCHF\" (53 43 48 46), found 58434846; not a SplitCompute frame", e.Message);
    }

    [Fact]
    public void ShorterThanThePrefix()
    {
        var e = Assert.Throws<ProtocolException>(() => FrameReader.Read(Valid().AsSpan(0, 10)));
        Assert.Equal("prefix (byte 10): frame is 10 bytes, shorter than the 16-byte prefix", e.Message);
        Assert.Equal("prefix (byte 10): truncated: expected 16 bytes, stream ended after 10",
            Assert.Throws<ProtocolException>(() => FrameReader.Read(new MemoryStream(Valid()[..10]))).Message);
    }

    [Fact]
    public void UnsupportedVersion()
    {
        var bytes = Valid();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 2);
        Assert.Equal("version (byte 4): unsupported format version: expected 1, found 2", Refused(bytes).Message);
    }

    [Fact]
    public void HeaderLengthOverTheLimitIsRefusedBeforeAllocating()
    {
        var bytes = Valid();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), ulong.MaxValue - 7);
        Assert.Equal($"header_length (byte 8): header length {ulong.MaxValue - 7} is over the 1048576-byte limit", Refused(bytes).Message);

        var small = new FrameLimits { MaxHeaderBytes = 64 };
        Assert.StartsWith("header_length (byte 8): header length ", Refused(Valid(), small).Message, StringComparison.Ordinal);
        Assert.EndsWith("is over the 64-byte limit", Refused(Valid(), small).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderLengthBeyondTheData()
    {
        var bytes = Valid()[..200];
        var e = Assert.Throws<ProtocolException>(() => FrameReader.Read(bytes));
        Assert.Matches(@"^header_length \(byte 8\): header length \d+ runs past the end of the frame \(184 bytes after the prefix\)$", e.Message);
        Assert.Equal("header (byte 200): truncated", Assert.Throws<ProtocolException>(() => FrameReader.Read(new MemoryStream(bytes))).Message[..28]);
    }

    [Fact]
    public void HeaderLengthNotAligned()
    {
        var bytes = Fixtures.Raw("{}   ", [], headerLength: 5, pad: false);
        Assert.Equal("header_length (byte 8): header length 5: expected a positive multiple of 8 (the header is space-padded)", Refused(bytes).Message);
    }

    [Fact]
    public void MalformedJson()
    {
        var e = Refused(Fixtures.Raw("{\"kind\": \"hidden\",, }", []));
        Assert.Equal("header", e.Field);
        Assert.Equal(16 + 18, e.Offset);
        Assert.StartsWith("header (byte 34): header is not valid JSON: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderNotAnObject() =>
        Assert.Equal("header (byte 16): expected a JSON object, found Array", Refused(Fixtures.Raw("[1, 2]", [])).Message);

    [Fact]
    public void HeaderNotUtf8()
    {
        var bytes = Fixtures.Raw("{\"model\": \"gpt2?\"}", []);
        bytes[16 + 15] = 0xFF;
        Assert.Equal("header (byte 16): header is not valid UTF-8", Refused(bytes).Message);
    }

    [Fact]
    public void DuplicateKeysAreRefusedBecauseLanguagesDisagreeOnWhichWins()
    {
        var bytes = Fixtures.Raw("{\"k\": 1, \"k\": 2}", []);
        Assert.Contains("header is not valid JSON", Refused(bytes).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind")]
    [InlineData("model")]
    [InlineData("revision")]
    [InlineData("k")]
    [InlineData("n")]
    [InlineData("dtype")]
    [InlineData("shape")]
    [InlineData("lengths")]
    public void MissingField(string field) =>
        Assert.Equal($"{field} (byte 16): required field is missing", Refused(Fixtures.Edited(h => h.Remove(field))).Message);

    [Fact]
    public void MissingManifestOnAHiddenFrame() =>
        Assert.Equal("manifest (byte 16): a hidden frame must carry the manifest for layers [k, n), found none",
            Refused(Fixtures.Edited(h => h.Remove("manifest"))).Message);

    [Theory]
    [InlineData("kind", "\"hidden-state\"", "expected \"hidden\" or \"embeddings\", found \"hidden-state\"")]
    [InlineData("dtype", "\"bf16\"", "expected \"f32\" or \"f16\", found \"bf16\"")]
    [InlineData("pooling", "\"median\"", "expected \"mean\" or \"last\" or \"cls\" or \"max\", found \"median\"")]
    [InlineData("k", "1.5", "expected a 32-bit integer, found \"1.5\"")]
    [InlineData("n", "\"4\"", "expected a 32-bit integer, found \"\\u00224\\u0022\"")]
    [InlineData("model", "7", "expected a string, found Number")]
    [InlineData("model", "\"\"", "expected 1..256 printable ASCII chars, found \"\"")]
    [InlineData("request_id", "\"a\\nb\"", "expected 1..128 printable ASCII chars, found \"a\\u000ab\"")]
    [InlineData("shape", "[2, 3]", "a hidden frame has shape [B, T, C]: expected 3 dimensions, found 2")]
    [InlineData("shape", "{}", "expected an array of integers, found Object")]
    [InlineData("lengths", "[3]", "expected one length per sequence: B = 2, found 1")]
    [InlineData("k", "5", "expected 0 <= k <= n = 4, found 5")]
    [InlineData("k", "-1", "expected 0 <= k <= n = 4, found -1")]
    [InlineData("n", "2000", "expected at most 1024 (limit), found 2000")]
    [InlineData("pool_from", "-1", "expected >= 0, found -1")]
    [InlineData("pool_from", "2", "sequence 1 has 2 positions: pooling from position 2 would pool nothing")]
    [InlineData("pool_from", "\"1\"", "expected a 32-bit integer, found \"\\u00221\\u0022\"")]
    [InlineData("mask", "[[1,1,1],[1,1,0]]", "explicit masks are not supported in version 1: sequences are right-padded and described by \"lengths\"")]
    public void BadFieldValue(string field, string json, string expected) =>
        Assert.Equal($"{field} (byte 16): {expected}", Refused(Fixtures.Edited(h => h[field] = JsonNode.Parse(json))).Message);

    [Theory]
    [InlineData("[0, 2]", "lengths[0]", "expected 1..3, found 0")]
    [InlineData("[3, 4]", "lengths[1]", "expected 1..3, found 4")]
    [InlineData("[3, 2.0]", "lengths[1]", "expected a 32-bit integer, found \"2.0\"")]
    public void LengthsOutOfRange(string lengths, string field, string expected) =>
        Assert.Equal($"{field} (byte 16): {expected}", Refused(Fixtures.Edited(h => h["lengths"] = JsonNode.Parse(lengths))).Message);

    [Fact]
    public void ShapeDimensionZero() =>
        Assert.Equal("shape[1] (byte 16): expected >= 1, found 0", Refused(Fixtures.Edited(h => h["shape"] = JsonNode.Parse("[2, 0, 8]"))).Message);

    [Fact]
    public void ShapeOverTheLimits()
    {
        var limits = new FrameLimits { MaxBatchSize = 1, MaxSequenceLength = 2, MaxChannels = 4 };
        Assert.Equal("lengths (byte 16): expected at most 1 entries, found 2", Refused(Valid(), limits).Message);
        Assert.Equal("shape[1] (byte 16): T = 3 is over the limit of 2", Refused(Valid(), limits with { MaxBatchSize = 2 }).Message);
        Assert.Equal("shape[2] (byte 16): C = 8 is over the limit of 4", Refused(Valid(), limits with { MaxBatchSize = 2, MaxSequenceLength = 3 }).Message);
        // Huge claimed dimensions are refused before any payload allocation.
        var huge = Fixtures.Edited(h => { h["shape"] = JsonNode.Parse("[4096, 65536, 65536]"); h["lengths"] = new JsonArray(Enumerable.Repeat(1, 4096).Select(i => (JsonNode)i).ToArray()); });
        Assert.StartsWith("manifest.n_embd (byte 16): expected C = 65536", Refused(huge).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PayloadOverTheLimit()
    {
        var e = Refused(Valid(), new FrameLimits { MaxPayloadBytes = 100 });
        Assert.Equal("shape (byte 16): payload of 2*3*8 f32 is 192 bytes, over the 100-byte limit", e.Message);
    }

    [Fact]
    public void TruncatedPayload()
    {
        var bytes = Valid();
        var e = Refused(bytes[..^5]);
        Assert.Equal("payload", e.Field);
        Assert.Equal(bytes.Length - 5, e.Offset);
        Assert.Contains("payload truncated: expected 192 bytes (2*3*8 f32)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrailingBytes()
    {
        var bytes = Valid();
        var e = Refused([.. bytes, 0, 0, 0, 0]);
        Assert.Equal(bytes.Length, e.Offset);
        Assert.Contains("payload has trailing bytes: expected", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FrameDType.F32, 0x7FC00000u, "NaN")]
    [InlineData(FrameDType.F32, 0xFF800000u, "-Infinity")]
    [InlineData(FrameDType.F16, 0x7C00u, "Infinity")]
    [InlineData(FrameDType.F16, 0x7E00u, "NaN")]
    public void NonFiniteValuesAreRefused(FrameDType dtype, uint bits, string shown)
    {
        var bytes = FrameWriter.ToArray(Fixtures.SmallHidden(dtype));
        var size = dtype == FrameDType.F32 ? 4 : 2;
        var at = bytes.Length - (size * 3); // element 45 of 48
        if (size == 4) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), bits);
        else BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)bits);

        var e = Refused(bytes);
        Assert.Equal(at, e.Offset);
        Assert.Equal($"payload (byte {at}): element 45 is {shown}; NaN and infinity are not allowed", e.Message);
    }

    [Fact]
    public void EmbeddingsFrameMustHaveAllLayersDone()
    {
        var frame = HiddenStateFrame.Embeddings(Fixtures.Model, Fixtures.Revision, 4, 2, 8, [3, 2], Fixtures.Values(16, 1), FramePooling.Mean);
        Assert.Equal("k (byte 16): an embeddings frame has all layers done: expected k = n = 4, found 3",
            Refused(Fixtures.Edited(h => h["k"] = 3, frame)).Message);
        Assert.Equal("shape (byte 16): an embeddings frame has shape [B, C]: expected 2 dimensions, found 3",
            Refused(Fixtures.Edited(h => h["shape"] = JsonNode.Parse("[2, 1, 8]"), frame)).Message);
        Assert.Equal("manifest (byte 16): an embeddings frame carries no manifest",
            Refused(Fixtures.Edited(h => h["manifest"] = JsonNode.Parse(Fixtures.Manifest(4, 8, 4).ToJson()), frame)).Message);
    }

    [Fact]
    public void ManifestMustMatchTheFrame()
    {
        Assert.Equal("manifest.shards (byte 16): expected layers [1, 4), found [0, 4)",
            Refused(Fixtures.Edited(h => h["manifest"] = JsonNode.Parse(Fixtures.Manifest(4, 8, 0).ToJson()))).Message);
        Assert.Equal("manifest.revision (byte 16): expected the frame's revision \"other\", found \"sha256:0f1e2d3c\"",
            Refused(Fixtures.Edited(h => h["revision"] = "other")).Message);
        Assert.Equal("manifest.n_embd (byte 16): expected C = 8, found 16",
            Refused(Fixtures.Edited(h => h["manifest"] = JsonNode.Parse(Fixtures.Manifest(4, 16, 1).ToJson()))).Message);
    }

    [Fact]
    public void InvalidEmbeddedManifestNamesTheNestedField()
    {
        var bytes = Fixtures.Edited(h => h["manifest"]!["shards"]![1]!["sha256"] = "ABC");
        Assert.Equal("manifest.shards[1].sha256 (byte 16): expected 64 lowercase hex chars, found \"ABC\"", Refused(bytes).Message);
        var missing = Fixtures.Edited(h => ((JsonObject)h["manifest"]!).Remove("final_norm"));
        Assert.Equal("manifest.final_norm (byte 16): expected an object, found null", Refused(missing).Message);
    }

    [Fact]
    public void ExcessiveJsonNestingIsRefused()
    {
        var deep = "{\"x\":" + string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100)) + "}";
        Assert.Contains("header is not valid JSON", Refused(Fixtures.Raw(deep, [])).Message, StringComparison.Ordinal);
    }
}
