using System.Buffers;
using System.Text;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis.Tests.Protocol;

/// <summary>Helpers for feeding the parser: whole buffers, one byte at a time, or as a multi-segment sequence.</summary>
internal static class Resp
{
    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Encode(RespValue value)
    {
        var output = new ArrayBufferWriter<byte>();
        RespWriter.Write(output, value);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Parses exactly one value that fills <paramref name="bytes"/>.</summary>
    public static RespValue ParseWhole(byte[] bytes, RespParserLimits? limits = null)
    {
        var parser = new RespParser(limits);
        var sequence = new ReadOnlySequence<byte>(bytes);
        Assert.True(parser.TryParse(ref sequence, out var value), "expected a complete value");
        Assert.True(sequence.IsEmpty, $"{sequence.Length} bytes left over");
        return value;
    }

    /// <summary>
    /// Feeds the bytes one at a time, re-offering the whole buffered prefix each time (as a connection does); every
    /// strict prefix must report "need more" and the full input must parse.
    /// </summary>
    public static RespValue ParseByteByByte(byte[] bytes, RespParserLimits? limits = null)
    {
        var parser = new RespParser(limits);
        for (var n = 0; n < bytes.Length; n++)
        {
            var prefix = new ReadOnlySequence<byte>(bytes, 0, n);
            Assert.False(parser.TryParse(ref prefix, out _), $"a value was returned after only {n} of {bytes.Length} bytes");
            Assert.Equal(n, prefix.Length); // nothing consumed
        }
        return ParseWhole(bytes, limits);
    }

    /// <summary>The bytes as a sequence of segments cut at <paramref name="cuts"/>, like a pipe's buffer after several reads.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, IEnumerable<int> cuts)
    {
        var points = cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order().ToList();
        points.Add(bytes.Length);
        Segment? first = null, last = null;
        var start = 0;
        foreach (var end in points)
        {
            var segment = new Segment(bytes.AsMemory(start, end - start), last);
            first ??= segment;
            last = segment;
            start = end;
        }
        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is null) return;
            RunningIndex = previous.RunningIndex + previous.Memory.Length;
            previous.Next = this;
        }
    }
}
