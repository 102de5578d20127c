using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis.Tests.Protocol;

/// <summary>
/// Properties over random input: what the writer produces the parser reads back exactly, however the bytes are cut;
/// and arbitrary bytes produce a value, "need more" or <see cref="RespProtocolException"/>, never another exception
/// or a hang.
/// </summary>
public sealed class RespPropertyTests
{
    private static readonly FsCheck.Config Config = FsCheck.Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true);

    private static readonly Gen<byte[]> Bytes =
        Gen.Sized(size => Gen.Choose(0, Math.Min(size, 64)).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)));

    // Text that stays on one line, as simple strings and errors must.
    private static readonly Gen<string> Line =
        Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(Gen.Elements("abcXYZ019 _-:é€$*+\t".ToCharArray()), n)).Select(c => new string(c));

    // Each argument with the bytes it must arrive as, worked out independently of the writer.
    private static readonly Gen<(RedisArg Arg, byte[] Expected)> Arg = Gen.OneOf(
        Bytes.Select(b => ((RedisArg)b, b)),
        Line.Select(s => ((RedisArg)s, System.Text.Encoding.UTF8.GetBytes(s))),
        Gen.Choose(int.MinValue, int.MaxValue).Select(i => (long)i * 3_000_000_007L)
            .Select(n => ((RedisArg)n, System.Text.Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture)))));

    private static Gen<RespValue> Value(int depth) => depth <= 0
        ? Leaf
        : Gen.Frequency(
            (4, Leaf),
            (1, Gen.Constant(RespValue.NullArray)),
            (2, Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(Value(depth - 1), n)).Select(RespValue.Array)));

    private static readonly Gen<RespValue> Leaf = Gen.OneOf(
        Line.Select(RespValue.SimpleString),
        Line.Select(RespValue.Error),
        Gen.Choose(int.MinValue, int.MaxValue).Select(i => RespValue.Integer((long)i << (i & 31))),
        Bytes.Select(RespValue.BulkString),
        Gen.Constant(RespValue.NullBulkString));

    private static Gen<int[]> CutsFor(int length) => Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, Math.Max(0, length)), n));

    [Fact]
    public void WrittenCommandsParseBackAsArraysOfBulkStrings()
    {
        var command = Gen.Elements("GET", "SET", "XADD", "HSET").SelectMany(_ => Gen.Choose(0, 8).SelectMany(n => Gen.ArrayOf(Arg, n)), (c, a) => (c, a));
        var property = Prop.ForAll(command.ToArbitrary(), input =>
        {
            var (name, args) = input;
            var bytes = RespWriter.Encode(name, args.Select(a => a.Arg).ToArray());
            var items = Resp.ParseWhole(bytes).AsArray()!;
            Assert.Equal(args.Length + 1, items.Length);
            Assert.Equal(name, items[0].AsString());
            for (var i = 0; i < args.Length; i++)
            {
                Assert.Equal(RespType.BulkString, items[i + 1].Type);
                Assert.Equal(args[i].Expected, items[i + 1].AsBytes());
            }
        });
        Check.One(Config, property);
    }

    [Fact]
    public void WrittenValuesParseBackEquallyWhereverTheBytesAreCut()
    {
        var cases = Value(3).SelectMany(v => CutsFor(Resp.Encode(v).Length), (v, cuts) => (v, cuts));
        var property = Prop.ForAll(cases.ToArbitrary(), input =>
        {
            var (value, cuts) = input;
            var bytes = Resp.Encode(value);
            var sequence = Resp.Segmented(bytes, cuts);
            var parser = new RespParser();
            Assert.True(parser.TryParse(ref sequence, out var parsed));
            Assert.Equal(value, parsed);
            Assert.True(sequence.IsEmpty);
            // Any strict prefix is incomplete, never an error or a different value.
            foreach (var cut in cuts.Where(c => c < bytes.Length))
            {
                var prefix = new ReadOnlySequence<byte>(bytes, 0, cut);
                Assert.False(new RespParser().TryParse(ref prefix, out _));
            }
        });
        Check.One(Config, property);
    }

    [Fact]
    public async Task RandomBytesOnlyEverThrowRespProtocolException()
    {
        // Mostly RESP's own alphabet, so that the inputs get past the first byte often enough to be interesting.
        var alphabet = "+-:$*\r\n0123456789-1abc"u8.ToArray();
        var noise = Gen.Frequency((3, Gen.Elements(alphabet)), (1, Gen.Choose(0, 255).Select(b => (byte)b)));
        var input = Gen.Sized(size => Gen.Choose(0, Math.Min(size * 2, 200)).SelectMany(n => Gen.ArrayOf(noise, n)));
        var limits = new RespParserLimits { MaxBulkLength = 1 << 20, MaxArrayLength = 1000, MaxLineLength = 100 };
        var property = Prop.ForAll(input.ToArbitrary(), bytes =>
        {
            var parser = new RespParser(limits);
            var sequence = new ReadOnlySequence<byte>(bytes);
            try
            {
                // Keep taking values until "need more"; every success must consume something, or this would spin.
                while (parser.TryParse(ref sequence, out _))
                {
                    Assert.True(parser.Position <= bytes.Length);
                }
            }
            catch (RespProtocolException)
            {
            }
        });
        var run = Task.Run(() => Check.One(Config.WithMaxTest(3000), property));
        await run.WaitAsync(TimeSpan.FromSeconds(60)); // a TimeoutException here means some input hangs the parser
    }
}
