using System.Buffers;
using System.Text;

namespace SplitCompute.Redis.Protocol;

/// <summary>
/// A sans-IO RESP2 parser (the hiredis reader model): the caller owns the bytes, <see cref="TryParse"/> either takes one
/// complete value off the front of the buffer or reports that more bytes are needed and consumes nothing. It keeps no
/// partial state between calls, so an incomplete value is simply parsed again when more data arrives; because bulk
/// payloads are length-prefixed (checked with one comparison, not scanned) the re-parse cost grows with the number of
/// elements, not bytes. Not thread-safe: one parser per connection.
/// </summary>
public sealed class RespParser
{
    // The smallest possible element ("+\r\n"): an array of n elements needs at least 3n more bytes, which lets us
    // refuse to allocate for a large array header until its bytes have plausibly arrived.
    private const int MinElementBytes = 3;

    // "-9223372036854775808" is 20 characters; any longer integer or length line is malformed.
    private const int MaxNumberLength = 20;

    private readonly RespParserLimits _limits;

    public RespParser(RespParserLimits? limits = null) => _limits = limits ?? RespParserLimits.Default;

    /// <summary>Bytes consumed by successful parses so far; error positions are reported relative to the stream start.</summary>
    public long Position { get; private set; }

    /// <summary>
    /// Parses one value from the start of <paramref name="buffer"/>. On success slices the value's bytes off the front of
    /// <paramref name="buffer"/> and returns true; if the value is incomplete returns false and leaves it untouched.
    /// </summary>
    /// <exception cref="RespProtocolException">Malformed input or a limit exceeded.</exception>
    public bool TryParse(ref ReadOnlySequence<byte> buffer, out RespValue value)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!TryParseValue(ref reader, 1, out value))
        {
            value = default;
            return false;
        }
        Position += reader.Consumed;
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    /// <summary>Memory convenience: parses one value from the start of <paramref name="buffer"/> and reports how many bytes it used.</summary>
    public bool TryParse(ReadOnlyMemory<byte> buffer, out RespValue value, out int consumed)
    {
        var sequence = new ReadOnlySequence<byte>(buffer);
        var before = sequence.Length;
        var done = TryParse(ref sequence, out value);
        consumed = (int)(before - sequence.Length);
        return done;
    }

    private bool TryParseValue(ref SequenceReader<byte> reader, int depth, out RespValue value)
    {
        value = default;
        if (!reader.TryRead(out var prefix)) return false;
        switch (prefix)
        {
            case (byte)'+':
            case (byte)'-':
                if (!TryReadLine(ref reader, out var line)) return false;
                var text = Encoding.UTF8.GetString(line);
                value = prefix == (byte)'+' ? RespValue.SimpleString(text) : RespValue.Error(text);
                return true;

            case (byte)':':
                if (!TryReadNumber(ref reader, "integer", out var integer)) return false;
                value = RespValue.Integer(integer);
                return true;

            case (byte)'$':
                return TryReadBulk(ref reader, out value);

            case (byte)'*':
                return TryReadArray(ref reader, depth, out value);

            default:
                throw Error(ref reader, -1, $"expected a RESP2 type prefix ('+', '-', ':', '$' or '*') but found {Describe(prefix)}");
        }
    }

    private bool TryReadBulk(ref SequenceReader<byte> reader, out RespValue value)
    {
        value = default;
        if (!TryReadNumber(ref reader, "bulk string length", out var length)) return false;
        if (length == -1)
        {
            value = RespValue.NullBulkString;
            return true;
        }
        if (length < -1) throw Error(ref reader, 0, $"bulk string length {length} is negative");
        if (length > _limits.MaxBulkLength) throw Error(ref reader, 0, $"bulk string length {length} exceeds the limit of {_limits.MaxBulkLength} bytes");
        if (reader.Remaining < length + 2) return false;

        var bytes = new byte[length];
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        reader.TryRead(out var cr);
        reader.TryRead(out var lf);
        if (cr != '\r' || lf != '\n') throw Error(ref reader, -2, $"expected CRLF after a {length}-byte bulk string but found {Describe(cr)} {Describe(lf)}");
        value = RespValue.BulkString(bytes);
        return true;
    }

    private bool TryReadArray(ref SequenceReader<byte> reader, int depth, out RespValue value)
    {
        value = default;
        if (!TryReadNumber(ref reader, "array length", out var length)) return false;
        if (length == -1)
        {
            value = RespValue.NullArray;
            return true;
        }
        if (length < -1) throw Error(ref reader, 0, $"array length {length} is negative");
        if (length > _limits.MaxArrayLength) throw Error(ref reader, 0, $"array length {length} exceeds the limit of {_limits.MaxArrayLength} elements");
        if (length > 0 && depth >= _limits.MaxDepth) throw Error(ref reader, 0, $"arrays nested deeper than the limit of {_limits.MaxDepth}");
        if (reader.Remaining < length * MinElementBytes) return false;

        var items = new RespValue[length];
        for (var i = 0; i < items.Length; i++)
        {
            if (!TryParseValue(ref reader, depth + 1, out items[i])) return false;
        }
        value = RespValue.Array(items);
        return true;
    }

    /// <summary>Reads an optionally negative decimal line ("123\r\n") as used by integers and length headers.</summary>
    private bool TryReadNumber(ref SequenceReader<byte> reader, string what, out long number)
    {
        number = 0;
        if (!TryReadLine(ref reader, out var line, MaxNumberLength)) return false;
        if (!TryParseInt64(line, out number))
            throw Error(ref reader, -(line.Length + 2), $"expected a decimal {what} but found \"{Printable(line)}\"");
        return true;
    }

    /// <summary>Reads up to CRLF. A line longer than the limit, or a CR or LF on its own, is malformed.</summary>
    private bool TryReadLine(ref SequenceReader<byte> reader, out byte[] line, int maxLength = -1)
    {
        if (maxLength < 0) maxLength = _limits.MaxLineLength;
        line = [];
        // Look no further than the limit: a line without CR is refused without scanning the whole buffer.
        var rest = reader.UnreadSequence;
        if (rest.Length > maxLength + 1) rest = rest.Slice(0, maxLength + 1);
        var crAt = rest.PositionOf((byte)'\r');
        var scanned = crAt is { } position ? rest.Slice(0, position) : rest;
        var lfAt = scanned.PositionOf((byte)'\n');
        if (lfAt is { } lf)
            throw Error(ref reader, scanned.Slice(0, lf).Length, "expected CRLF but found LF without CR");
        if (scanned.Length > maxLength)
            throw Error(ref reader, Math.Min(scanned.Length, maxLength), $"expected CRLF within {maxLength} bytes");
        if (crAt is null) return false;
        if (reader.Remaining < scanned.Length + 2) return false;

        line = scanned.ToArray();
        reader.Advance(scanned.Length + 1);
        reader.TryRead(out var next);
        if (next != '\n') throw Error(ref reader, -1, $"expected LF after CR but found {Describe(next)}");
        return true;
    }

    private static bool TryParseInt64(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        var negative = text.Length > 0 && text[0] == '-';
        var digits = negative ? text[1..] : text;
        if (digits.Length is 0 or > 19) return false;
        ulong magnitude = 0;
        foreach (var c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            magnitude = magnitude * 10 + (ulong)(c - '0'); // 19 digits cannot overflow a ulong
        }
        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1) return false;
            value = magnitude == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)magnitude;
            return true;
        }
        if (magnitude > long.MaxValue) return false;
        value = (long)magnitude;
        return true;
    }

    private RespProtocolException Error(ref SequenceReader<byte> reader, long offsetFromCursor, string message) =>
        new($"RESP protocol error: {message}", Position + reader.Consumed + offsetFromCursor);

    private static string Describe(byte b) => b is >= 0x20 and < 0x7f ? $"'{(char)b}' (0x{b:x2})" : $"0x{b:x2}";

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, 32)]) text.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        return text.ToString();
    }
}
