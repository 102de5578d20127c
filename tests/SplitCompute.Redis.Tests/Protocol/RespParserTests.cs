using System.Buffers;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis.Tests.Protocol;

public sealed class RespParserTests
{
    public static TheoryData<string, RespValue> WellFormed => new()
    {
        { "+OK\r\n", RespValue.SimpleString("OK") },
        { "+\r\n", RespValue.SimpleString("") },
        { "-ERR unknown command 'FOO'\r\n", RespValue.Error("ERR unknown command 'FOO'") },
        { ":0\r\n", RespValue.Integer(0) },
        { ":-42\r\n", RespValue.Integer(-42) },
        { ":9223372036854775807\r\n", RespValue.Integer(long.MaxValue) },
        { ":-9223372036854775808\r\n", RespValue.Integer(long.MinValue) },
        { "$5\r\nhello\r\n", RespValue.BulkString("hello") },
        { "$0\r\n\r\n", RespValue.BulkString("") },
        { "$4\r\na\r\nb\r\n", RespValue.BulkString("a\r\nb") }, // binary-safe: CRLF inside a bulk string
        { "$-1\r\n", RespValue.NullBulkString },
        { "*-1\r\n", RespValue.NullArray },
        { "*0\r\n", RespValue.Array([]) },
        {
            "*3\r\n:1\r\n$3\r\nfoo\r\n*2\r\n+a\r\n$-1\r\n",
            RespValue.Array([RespValue.Integer(1), RespValue.BulkString("foo"), RespValue.Array([RespValue.SimpleString("a"), RespValue.NullBulkString])])
        },
    };

    [Theory]
    [MemberData(nameof(WellFormed))]
    public void ParsesEveryType(string wire, RespValue expected)
    {
        Assert.Equal(expected, Resp.ParseWhole(Resp.Bytes(wire)));
    }

    [Theory]
    [MemberData(nameof(WellFormed))]
    public void ParsesEveryTypeFedOneByteAtATime(string wire, RespValue expected)
    {
        Assert.Equal(expected, Resp.ParseByteByByte(Resp.Bytes(wire)));
    }

    [Theory]
    [MemberData(nameof(WellFormed))]
    public void ParsesAcrossEverySegmentBoundary(string wire, RespValue expected)
    {
        var bytes = Resp.Bytes(wire);
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var sequence = Resp.Segmented(bytes, [cut, cut + 1, cut + 3]);
            Assert.True(new RespParser().TryParse(ref sequence, out var value));
            Assert.Equal(expected, value);
            Assert.True(sequence.IsEmpty);
        }
    }

    [Fact]
    public void TakesOneValueAtATimeAndTracksPosition()
    {
        var parser = new RespParser();
        var sequence = new ReadOnlySequence<byte>(Resp.Bytes("+OK\r\n:7\r\n$2\r\nhi\r\n$3\r\nab"));

        Assert.True(parser.TryParse(ref sequence, out var first));
        Assert.Equal(RespValue.SimpleString("OK"), first);
        Assert.True(parser.TryParse(ref sequence, out var second));
        Assert.Equal(RespValue.Integer(7), second);
        Assert.True(parser.TryParse(ref sequence, out var third));
        Assert.Equal(RespValue.BulkString("hi"), third);
        Assert.False(parser.TryParse(ref sequence, out _)); // "$3\r\nab" is incomplete
        Assert.Equal(6, sequence.Length);
        Assert.Equal(17, parser.Position);
    }

    [Fact]
    public void MemoryOverloadReportsConsumedBytes()
    {
        var parser = new RespParser();
        Assert.True(parser.TryParse(Resp.Bytes(":12\r\n+x"), out var value, out var consumed));
        Assert.Equal(RespValue.Integer(12), value);
        Assert.Equal(5, consumed);
        Assert.False(parser.TryParse(Resp.Bytes("+x"), out _, out consumed));
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void NullValuesAreDistinctFromEmptyOnes()
    {
        var nullBulk = Resp.ParseWhole(Resp.Bytes("$-1\r\n"));
        var emptyBulk = Resp.ParseWhole(Resp.Bytes("$0\r\n\r\n"));
        Assert.True(nullBulk.IsNull);
        Assert.Null(nullBulk.AsBytes());
        Assert.False(emptyBulk.IsNull);
        Assert.Empty(emptyBulk.AsBytes()!);
        Assert.True(Resp.ParseWhole(Resp.Bytes("*-1\r\n")).IsNull);
        Assert.Null(Resp.ParseWhole(Resp.Bytes("*-1\r\n")).AsArray());
        Assert.Empty(Resp.ParseWhole(Resp.Bytes("*0\r\n")).AsArray()!);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "!oops\r\n", "expected a RESP2 type prefix" },
        { "%1\r\n", "expected a RESP2 type prefix" },               // RESP3 map: we never send HELLO 3
        { ":12a\r\n", "expected a decimal integer" },
        { ":\r\n", "expected a decimal integer" },
        { ":99999999999999999999\r\n", "expected a decimal integer" }, // overflows Int64
        { "$abc\r\n", "expected a decimal bulk string length" },
        { "$+5\r\nhello\r\n", "expected a decimal bulk string length" },
        { "$-2\r\n", "is negative" },
        { "*-5\r\n", "is negative" },
        { "*x\r\n", "expected a decimal array length" },
        { "$3\r\nabcd\r\n", "expected CRLF after a 3-byte bulk string" },
        { "$3\r\nabc\n\r", "expected CRLF after a 3-byte bulk string" },
        { "+OK\rX", "expected LF after CR" },
        { "+OK\n", "LF without CR" },
        { ":1\n", "LF without CR" },
        { "*2\r\n:1\r\n?\r\n", "expected a RESP2 type prefix" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedInputThrowsRespProtocolException(string wire, string expectedMessage)
    {
        var bytes = Resp.Bytes(wire);
        var error = Assert.Throws<RespProtocolException>(() => Resp.ParseWhole(bytes));
        Assert.Contains(expectedMessage, error.Message, StringComparison.Ordinal);
        Assert.Contains("at byte", error.Message, StringComparison.Ordinal);
        Assert.InRange(error.Position, 0, bytes.Length);
    }

    [Fact]
    public void ReportsTheOffendingBytePosition()
    {
        var parser = new RespParser();
        var sequence = new ReadOnlySequence<byte>(Resp.Bytes("+OK\r\n+OK\r\n!"));
        Assert.True(parser.TryParse(ref sequence, out _));
        Assert.True(parser.TryParse(ref sequence, out _));
        var error = Assert.Throws<RespProtocolException>(() => parser.TryParse(ref sequence, out _));
        Assert.Equal(10, error.Position); // the '!' after two 5-byte values
        Assert.Contains("'!'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BulkLargerThanTheLimitIsRefusedFromItsHeaderAlone()
    {
        var limits = new RespParserLimits { MaxBulkLength = 10 };
        Assert.Equal(RespValue.BulkString("0123456789"), Resp.ParseWhole(Resp.Bytes("$10\r\n0123456789\r\n"), limits));
        // Only the header has arrived: the limit applies before the payload is awaited or allocated.
        var error = Assert.Throws<RespProtocolException>(() => Resp.ParseWhole(Resp.Bytes("$11\r\n"), limits));
        Assert.Contains("exceeds the limit of 10 bytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<RespProtocolException>(() => Resp.ParseWhole(Resp.Bytes("$9999999999\r\n")));
    }

    [Fact]
    public void ArrayLongerThanTheLimitIsRefused()
    {
        var limits = new RespParserLimits { MaxArrayLength = 2 };
        Assert.Equal(2, Resp.ParseWhole(Resp.Bytes("*2\r\n:1\r\n:2\r\n"), limits).AsArray()!.Length);
        var error = Assert.Throws<RespProtocolException>(() => Resp.ParseWhole(Resp.Bytes("*3\r\n"), limits));
        Assert.Contains("exceeds the limit of 2 elements", error.Message, StringComparison.Ordinal);
        // The default limit is one million.
        Assert.Throws<RespProtocolException>(() => Resp.ParseWhole(Resp.Bytes("*1048577\r\n")));
    }

    [Fact]
    public void HugeArrayHeaderWithoutItsElementsAllocatesNothingAndWaits()
    {
        var parser = new RespParser();
        var sequence = new ReadOnlySequence<byte>(Resp.Bytes("*1000000\r\n:1\r\n"));
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.False(parser.TryParse(ref sequence, out _));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000, "a 1M-element array was allocated before its bytes arrived");
    }

    [Fact]
    public void NestingDeeperThanTheLimitIsRefused()
    {
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("*1\r\n", depth - 1)) + ":1\r\n";

        var limits = new RespParserLimits { MaxDepth = 4 };
        Assert.Equal(RespType.Array, Resp.ParseWhole(Resp.Bytes(Nested(4)), limits).Type); // three arrays + the integer
        var error = Assert.Throws<RespProtocolException>(() => Resp.ParseWhole(Resp.Bytes(Nested(5)), limits));
        Assert.Contains("nested deeper than the limit of 4", error.Message, StringComparison.Ordinal);
        Assert.Throws<RespProtocolException>(() => Resp.ParseWhole(Resp.Bytes(Nested(17)))); // default 16
        Resp.ParseWhole(Resp.Bytes(Nested(16)));
    }

    [Fact]
    public void LineWithoutCrlfIsRefusedOnceLongerThanTheLimit()
    {
        var limits = new RespParserLimits { MaxLineLength = 8 };
        var parser = new RespParser(limits);
        var shortLine = new ReadOnlySequence<byte>(Resp.Bytes("+12345678"));
        Assert.False(parser.TryParse(ref shortLine, out _)); // could still end in CRLF
        var longLine = new ReadOnlySequence<byte>(Resp.Bytes("+123456789"));
        var error = Assert.Throws<RespProtocolException>(() => parser.TryParse(ref longLine, out _));
        Assert.Contains("expected CRLF within 8 bytes", error.Message, StringComparison.Ordinal);
        // A length line is never longer than 20 digits, whatever the limit.
        Assert.Throws<RespProtocolException>(() => Resp.ParseWhole(Resp.Bytes("$" + new string('1', 25))));
    }
}
