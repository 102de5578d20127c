using System.Buffers;
using System.Buffers.Binary;
using SplitCompute.Protocol.Frames;

namespace SplitCompute.Protocol.Tests.Frames;

public sealed class FrameRoundTripTests
{
    [Theory]
    [InlineData(1, 1, 1, 0)]
    [InlineData(1, 7, 3, 2)]
    [InlineData(3, 5, 16, 4)]
    [InlineData(4, 33, 64, 1)]
    [InlineData(2, 1024, 768, 12)]
    public void F32RoundTripIsExact(int b, int t, int c, int k)
    {
        var lengths = Enumerable.Range(0, b).Select(i => Math.Max(1, t - i)).ToArray();
        var data = Fixtures.Values(b * t * c, b + t + c, 100f);
        data[0] = -0f;
        data[^1] = 1e-40f; // subnormal
        var frame = HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, k, 12, b, t, c, lengths, data, Fixtures.Manifest(12, c, k));

        var read = FrameReader.Read(FrameWriter.ToArray(frame));

        Assert.Equal(FrameKind.Hidden, read.Kind);
        Assert.Equal([b, t, c], read.Shape);
        Assert.Equal(lengths, read.Lengths);
        Assert.Equal(k, read.LayersDone);
        Assert.Equal(12, read.LayerCount);
        Assert.Equal(frame.Manifest, read.Manifest);
        Assert.Equal(k, read.Manifest!.FirstLayer);
        // Bitwise, so -0 and subnormals survive too.
        Assert.Equal(data.Select(BitConverter.SingleToInt32Bits), read.Data.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 9, 24)]
    [InlineData(5, 17, 96)]
    public void F16RoundTripIsWithinHalfPrecision(int b, int t, int c)
    {
        var data = Fixtures.Values(b * t * c, 7 * b + c, 60000f);
        data[0] = 65504f;      // largest finite half
        data[1 % data.Length] = 6e-8f; // near the smallest subnormal half
        var lengths = Enumerable.Repeat(t, b).ToArray();
        var frame = HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 0, 4, b, t, c, lengths, data, Fixtures.Manifest(4, c), FrameDType.F16);

        var bytes = FrameWriter.ToArray(frame);
        var read = FrameReader.Read(bytes);

        Assert.Equal(FrameDType.F16, read.DType);
        Assert.Equal(FrameWriter.GetLength(frame), bytes.Length);
        for (var i = 0; i < data.Length; i++)
        {
            // binary16 has an 11-bit significand: relative error <= 2^-11, plus the subnormal step 2^-24.
            Assert.True(Math.Abs(read.Data[i] - data[i]) <= (Math.Abs(data[i]) * 0.00049) + 6e-8, $"element {i}: {data[i]} -> {read.Data[i]}");
            Assert.Equal((float)(Half)data[i], read.Data[i]);
        }
    }

    [Fact]
    public void Pool_from_round_trips_is_absent_when_zero_and_must_leave_every_sequence_something_to_pool()
    {
        var frame = HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 2, 4, 2, 3, 200, [3, 2], Fixtures.Values(2 * 3 * 200, 1), Fixtures.Manifest(4, 200, 2), poolFrom: 1);
        Assert.Equal(1, FrameReader.Read(FrameWriter.ToArray(frame)).PoolFrom);
        var plain = FrameWriter.ToArray(Fixtures.SmallHidden());
        Assert.DoesNotContain("pool_from", System.Text.Encoding.UTF8.GetString(plain), StringComparison.Ordinal);
        Assert.Equal(0, FrameReader.Read(plain).PoolFrom);
        var nothingLeft = Assert.Throws<ArgumentException>(() =>
            HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 2, 4, 2, 3, 200, [3, 2], Fixtures.Values(2 * 3 * 200, 1), Fixtures.Manifest(4, 200, 2), poolFrom: 2));
        Assert.Contains("pool_from", nothingLeft.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FramePooling.Mean)]
    [InlineData(FramePooling.Last)]
    [InlineData(FramePooling.Cls)]
    [InlineData(FramePooling.Max)]
    public void Every_pooling_round_trips(FramePooling pooling)
    {
        var frame = HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 2, 4, 1, 3, 200, [3], Fixtures.Values(3 * 200, 1), Fixtures.Manifest(4, 200, 2), pooling: pooling);
        Assert.Equal(pooling, FrameReader.Read(FrameWriter.ToArray(frame)).Pooling);
    }

    [Theory]
    [InlineData(FrameDType.F32)]
    [InlineData(FrameDType.F16)]
    public void EmbeddingsFramesRoundTrip(FrameDType dtype)
    {
        var data = Fixtures.Values(3 * 8, 5);
        var frame = HiddenStateFrame.Embeddings(Fixtures.Model, Fixtures.Revision, 4, 3, 8, [5, 1, 60000], data, FramePooling.Last, dtype, "abc");

        var read = FrameReader.Read(FrameWriter.ToArray(frame));

        Assert.Equal(FrameKind.Embeddings, read.Kind);
        Assert.Equal([3, 8], read.Shape);
        Assert.Equal(4, read.LayersDone);
        Assert.Equal(4, read.LayerCount);
        Assert.Equal(1, read.SequenceLength);
        Assert.Equal([5, 1, 60000], read.Lengths);
        Assert.Equal(FramePooling.Last, read.Pooling);
        Assert.Equal("abc", read.RequestId);
        Assert.Null(read.Manifest);
        Assert.Equal(data.Select(v => dtype == FrameDType.F32 ? v : (float)(Half)v), read.Data);
        Assert.Equal(data.AsSpan(8, 8).ToArray(), dtype == FrameDType.F32 ? read.Row(1).ToArray() : data.AsSpan(8, 8).ToArray());
    }

    [Fact]
    public async Task EveryWriterAndReaderAgree()
    {
        var frame = HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 2, 4, 3, 50, 200, [50, 1, 25],
            Fixtures.Values(3 * 50 * 200, 3), Fixtures.Manifest(4, 200, 2), FrameDType.F16, pooling: FramePooling.Last);
        var array = FrameWriter.ToArray(frame);

        var buffer = new ArrayBufferWriter<byte>(1);
        FrameWriter.Write(buffer, frame);
        using var sync = new MemoryStream();
        FrameWriter.Write(sync, frame);
        using var async = new MemoryStream();
        await FrameWriter.WriteAsync(async, frame);

        Assert.Equal(array, buffer.WrittenSpan.ToArray());
        Assert.Equal(array, sync.ToArray());
        Assert.Equal(array, async.ToArray());

        var fromSpan = FrameReader.Read(array);
        var fromStream = FrameReader.Read(new MemoryStream(array));
        var fromAsync = await FrameReader.ReadAsync(new TrickleStream(array));
        foreach (var read in new[] { fromSpan, fromStream, fromAsync })
        {
            Assert.Equal(fromSpan.Data, read.Data);
            Assert.Equal(FramePooling.Last, read.Pooling);
            Assert.Equal(frame.Manifest, read.Manifest);
        }
    }

    [Fact]
    public void LayoutIsMagicVersionAlignedHeaderThenPayload()
    {
        var frame = Fixtures.SmallHidden();
        var bytes = FrameWriter.ToArray(frame);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8));

        Assert.Equal("SCHF"u8.ToArray(), bytes[..4]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(16 + headerLength + (2 * 3 * 8 * 4), bytes.Length);
        Assert.Equal(frame.Data[0], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(16 + (int)headerLength)));
        var (header, _) = Fixtures.Split(bytes);
        Assert.Equal("hidden", (string?)header["kind"]);
        Assert.Equal("f32", (string?)header["dtype"]);
        Assert.Equal("req-1", (string?)header["request_id"]);
        Assert.Equal(Fixtures.Hash("layer1"), (string?)header["manifest"]!["shards"]![0]!["sha256"]);
    }

    [Fact]
    public void UnknownHeaderFieldsAreIgnored()
    {
        var bytes = Fixtures.Edited(h => h["future_field"] = new System.Text.Json.Nodes.JsonObject { ["x"] = 1 });
        Assert.Equal(Fixtures.SmallHidden().Data, FrameReader.Read(bytes).Data);
    }

    [Fact]
    public void LayersDoneEqualToLayerCountCarriesAManifestWithOnlyTheFinalNorm()
    {
        var frame = HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 4, 4, 1, 2, 8, [2], Fixtures.Values(16, 2), Fixtures.Manifest(4, 8).Slice(4, 4));
        var read = FrameReader.Read(FrameWriter.ToArray(frame));
        Assert.Empty(read.Manifest!.Shards);
        Assert.Equal("ln_f.weight", read.Manifest.FinalNorm!.Tensors[0]);
    }

    [Theory]
    [InlineData(float.NaN, FrameDType.F32)]
    [InlineData(float.PositiveInfinity, FrameDType.F32)]
    [InlineData(65520f, FrameDType.F16)]
    [InlineData(-1e9f, FrameDType.F16)]
    public void FactoriesRefuseValuesThatWouldNotBeFiniteOnTheWire(float value, FrameDType dtype)
    {
        var data = Fixtures.Values(8, 1);
        data[5] = value;
        var e = Assert.Throws<ArgumentException>(() =>
            HiddenStateFrame.Embeddings(Fixtures.Model, Fixtures.Revision, 4, 1, 8, [3], data, FramePooling.Mean, dtype));
        Assert.Contains("data[5]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FactoriesRefuseInconsistentArguments()
    {
        var manifest = Fixtures.Manifest(4, 8, 1);
        Assert.Contains("lengths[1]: expected 1..3, found 4", Assert.Throws<ArgumentException>(() =>
            HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 1, 4, 2, 3, 8, [3, 4], new float[48], manifest)).Message, StringComparison.Ordinal);
        Assert.Contains("manifest.shards: expected layers [2, 4), found [1, 4)", Assert.Throws<ArgumentException>(() =>
            HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 2, 4, 2, 3, 8, [3, 3], new float[48], manifest)).Message, StringComparison.Ordinal);
        Assert.Contains("expected 2*3*8 = 48", Assert.Throws<ArgumentException>(() =>
            HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 1, 4, 2, 3, 8, [3, 3], new float[47], manifest)).Message, StringComparison.Ordinal);
        Assert.Contains("k: expected 0 <= k <= n = 4, found 5", Assert.Throws<ArgumentException>(() =>
            HiddenStateFrame.Hidden(Fixtures.Model, Fixtures.Revision, 5, 4, 2, 3, 8, [3, 3], new float[48], manifest)).Message, StringComparison.Ordinal);
    }

    /// <summary>Returns at most 7 bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 7));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 7)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 7)], cancellationToken);
    }
}
