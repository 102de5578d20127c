using System.Globalization;
using System.Text;

namespace SplitCompute.Redis.Protocol;

/// <summary>
/// One command argument: text (sent as UTF-8), bytes, or a number (sent as its invariant decimal text, which is how
/// Redis expects integers and TTLs). Implicit conversions let callers write <c>["SET", key, 42]</c>.
/// </summary>
public readonly struct RedisArg
{
    private readonly string? _text;
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly long _integer;
    private readonly Kind _kind;

    private enum Kind : byte { Integer, Text, Bytes }

    private RedisArg(string? text, ReadOnlyMemory<byte> bytes, long integer, Kind kind)
    {
        _text = text;
        _bytes = bytes;
        _integer = integer;
        _kind = kind;
    }

    public static implicit operator RedisArg(string value) => new(value ?? throw new ArgumentNullException(nameof(value), "Redis has no null argument."), default, 0, Kind.Text);

    public static implicit operator RedisArg(byte[] value) => new(null, value ?? throw new ArgumentNullException(nameof(value), "Redis has no null argument."), 0, Kind.Bytes);

    public static implicit operator RedisArg(ReadOnlyMemory<byte> value) => new(null, value, 0, Kind.Bytes);

    public static implicit operator RedisArg(long value) => new(null, default, value, Kind.Integer);

    // Doubles are sent as text: Redis parses "R" round-trip format, and "inf"/"-inf" for infinities (ZADD scores).
    public static implicit operator RedisArg(double value) => new(
        double.IsPositiveInfinity(value) ? "+inf" : double.IsNegativeInfinity(value) ? "-inf" : value.ToString("R", CultureInfo.InvariantCulture),
        default, 0, Kind.Text);

    public static RedisArg FromString(string value) => value;

    public static RedisArg FromBytes(ReadOnlyMemory<byte> value) => value;

    public static RedisArg FromInt64(long value) => value;

    public static RedisArg FromDouble(double value) => value;

    /// <summary>Number of bytes the argument takes on the wire (its payload, without the bulk header).</summary>
    internal int ByteCount => _kind switch
    {
        Kind.Text => Encoding.UTF8.GetByteCount(_text!),
        Kind.Bytes => _bytes.Length,
        _ => DecimalLength(_integer),
    };

    /// <summary>Writes the payload into <paramref name="destination"/>, which holds exactly <see cref="ByteCount"/> bytes.</summary>
    internal void CopyTo(Span<byte> destination)
    {
        switch (_kind)
        {
            case Kind.Text: Encoding.UTF8.GetBytes(_text!, destination); break;
            case Kind.Bytes: _bytes.Span.CopyTo(destination); break;
            default: _integer.TryFormat(destination, out _, default, CultureInfo.InvariantCulture); break;
        }
    }

    public override string ToString() => _kind switch
    {
        Kind.Text => _text!,
        Kind.Bytes => Encoding.UTF8.GetString(_bytes.Span),
        _ => _integer.ToString(CultureInfo.InvariantCulture),
    };

    internal static int DecimalLength(long value)
    {
        if (value == long.MinValue) return 20;
        var length = value < 0 ? 2 : 1;
        var magnitude = (ulong)Math.Abs(value);
        while (magnitude >= 10)
        {
            magnitude /= 10;
            length++;
        }
        return length;
    }
}
