using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Protocol.Frames;

namespace SplitCompute.Protocol.Tests.Frames;

/// <summary>
/// Random corruption of valid frames either still reads or fails with <see cref="ProtocolException"/>: never another
/// exception, a hang, or an absurd allocation (the limits are small here, so a reader that allocated from an
/// unchecked length would show up as OutOfMemory or a timeout).
/// </summary>
public sealed class FrameMutationPropertyTests
{
    private static readonly byte[] JsonishBytes = Encoding.ASCII.GetBytes("0123456789-+.eE[]{},:\" tfnul");

    private static readonly FrameLimits Limits = new() { MaxPayloadBytes = 1 << 20, MaxHeaderBytes = 1 << 16 };

    public sealed record Corruption((int Position, byte Value)[] Edits, int? TruncateTo, int Extra, ulong? HeaderLength)
    {
        public override string ToString() =>
            $"edits [{string.Join(", ", Edits.Select(e => $"{e.Position}:{e.Value}"))}], truncate {TruncateTo?.ToString() ?? "none"}, extra {Extra}, header length {HeaderLength?.ToString() ?? "kept"}";
    }

    [Theory]
    [InlineData(FrameDType.F32, false)]
    [InlineData(FrameDType.F16, false)]
    [InlineData(FrameDType.F32, true)]
    public async Task CorruptedFramesFailOnlyWithProtocolException(FrameDType dtype, bool embeddings)
    {
        var valid = FrameWriter.ToArray(embeddings
            ? HiddenStateFrame.Embeddings(Fixtures.Model, Fixtures.Revision, 4, 2, 8, [3, 1], Fixtures.Values(16, 3), FramePooling.Mean, dtype, "r")
            : Fixtures.SmallHidden(dtype));
        var headerEnd = 16 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid.AsSpan(8));

        var position = Gen.Frequency(
            (1, Gen.Choose(0, 15)),                 // the prefix
            (6, Gen.Choose(16, headerEnd - 1)),     // the JSON header
            (2, Gen.Choose(0, valid.Length - 1)));  // anywhere, payload included
        var value = Gen.Frequency((1, Gen.Choose(0, 255).Select(b => (byte)b)), (2, Gen.Elements(JsonishBytes)));
        var edit = position.SelectMany(_ => value, (p, v) => (p, v));
        var edits = Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(edit, n));
        var truncate = Gen.Frequency((3, Gen.Constant<int?>(null)), (1, Gen.Choose(0, valid.Length - 1).Select(n => (int?)n)));
        var extra = Gen.Frequency((5, Gen.Constant(0)), (1, Gen.Choose(1, 9)));
        var headerLength = Gen.Frequency(
            (6, Gen.Constant<ulong?>(null)),
            (1, Gen.Elements<ulong?>(0, 8, ulong.MaxValue, 1UL << 40, (ulong)int.MaxValue + 1, (ulong)headerEnd - 8, (ulong)headerEnd)));
        var corruption =
            from e in edits
            from t in truncate
            from x in extra
            from h in headerLength
            select new Corruption(e, t, x, h);

        var property = Prop.ForAll(corruption.ToArbitrary(), c =>
        {
            var bytes = (byte[])valid.Clone();
            if (c.HeaderLength is ulong h) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), h);
            foreach (var (p, v) in c.Edits) bytes[p] = v;
            if (c.TruncateTo is int n) bytes = bytes[..n];
            if (c.Extra > 0) bytes = [.. bytes, .. new byte[c.Extra]];
            ReadEveryWay(bytes);
        });

        var run = Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500).WithQuietOnSuccess(true), property));
        // A TimeoutException here means some corrupted frame hangs the reader.
        await run.WaitAsync(TimeSpan.FromMinutes(2));
    }

    private static void ReadEveryWay(byte[] bytes)
    {
        var outcomes = new List<string>();
        foreach (var read in new Func<HiddenStateFrame>[]
        {
            () => FrameReader.Read(bytes, Limits),
            () => FrameReader.Read(new MemoryStream(bytes), Limits),
            () => FrameReader.ReadAsync(new MemoryStream(bytes), Limits).GetAwaiter().GetResult(),
        })
        {
            try
            {
                var frame = read();
                // Whatever reads must write back to a frame that reads the same.
                Assert.Equal(frame.Data, FrameReader.Read(FrameWriter.ToArray(frame), Limits).Data);
                outcomes.Add("ok");
            }
            catch (ProtocolException e)
            {
                Assert.False(string.IsNullOrEmpty(e.Field), e.Message);
                outcomes.Add("refused"); // the field may differ: a stream cannot know the header runs past the end until it ends
            }
        }
        // Span and stream readers must agree on accept vs refuse.
        Assert.True(outcomes.Distinct().Count() == 1, string.Join(" | ", outcomes));
    }
}
