using System.Buffers;
using System.Text;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis.Tests.Protocol;

public sealed class RespWriterTests
{
    [Fact]
    public void EncodesCommandAsArrayOfBulkStrings()
    {
        var bytes = RespWriter.Encode("SET", ["key", 42L, new byte[] { 0, 13, 10 }, -7, 0.5, "é"]);
        Assert.Equal(
            "*7\r\n$3\r\nSET\r\n$3\r\nkey\r\n$2\r\n42\r\n$3\r\n\0\r\n\r\n$2\r\n-7\r\n$3\r\n0.5\r\n$2\r\né\r\n",
            Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(9L)]
    [InlineData(10L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void IntegerArgumentsUseTheirDecimalText(long value)
    {
        var bytes = RespWriter.Encode("INCRBY", ["k", value]);
        var items = Resp.ParseWhole(bytes).AsArray()!;
        Assert.Equal(value.ToString(System.Globalization.CultureInfo.InvariantCulture), items[2].AsString());
        Assert.Equal(RespWriter.GetByteCount("INCRBY", ["k", value]), bytes.Length);
    }

    [Fact]
    public void BufferWriterOverloadAppends()
    {
        var output = new ArrayBufferWriter<byte>();
        RespWriter.Write(output, "PING", []);
        RespWriter.Write(output, "GET", ["a"]);
        Assert.Equal("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void NullArgumentsAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => RespWriter.Encode("GET", [(string)null!]));
        Assert.Throws<ArgumentException>(() => RespWriter.Encode("", []));
    }
}
