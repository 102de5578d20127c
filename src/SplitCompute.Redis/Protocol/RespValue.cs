using System.Globalization;
using System.Text;

namespace SplitCompute.Redis.Protocol;

/// <summary>
/// One RESP2 value. A readonly struct (type tag + one payload reference + one integer) so that integer and status
/// replies, the bulk of heartbeat traffic, cost no allocation beyond their payload.
/// </summary>
public readonly struct RespValue : IEquatable<RespValue>
{
    private readonly object? _payload; // string (simple/error), byte[] (bulk), RespValue[] (array), null (null bulk/array)
    private readonly long _integer;

    private RespValue(RespType type, object? payload, long integer)
    {
        Type = type;
        _payload = payload;
        _integer = integer;
    }

    public RespType Type { get; }

    /// <summary>True for the null bulk string ($-1) and the null array (*-1).</summary>
    public bool IsNull => Type is RespType.BulkString or RespType.Array && _payload is null;

    public bool IsError => Type == RespType.Error;

    public static RespValue SimpleString(string value) => new(RespType.SimpleString, Checked(value), 0);

    public static RespValue Error(string message) => new(RespType.Error, Checked(message), 0);

    public static RespValue Integer(long value) => new(RespType.Integer, null, value);

    /// <summary>A bulk string; null makes the null bulk string.</summary>
    public static RespValue BulkString(byte[]? value) => new(RespType.BulkString, value, 0);

    public static RespValue BulkString(string value) => BulkString(Encoding.UTF8.GetBytes(value));

    /// <summary>An array; null makes the null array.</summary>
    public static RespValue Array(RespValue[]? items) => new(RespType.Array, items, 0);

    public static RespValue NullBulkString => new(RespType.BulkString, null, 0);

    public static RespValue NullArray => new(RespType.Array, null, 0);

    /// <summary>The integer of an integer reply, or a bulk/simple string that holds one (e.g. INCRBYFLOAT-free replies).</summary>
    public long AsInteger() => Type switch
    {
        RespType.Integer => _integer,
        RespType.BulkString or RespType.SimpleString when long.TryParse(AsString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new InvalidCastException($"A RESP {Type} reply is not an integer: {this}"),
    };

    /// <summary>The text of a simple string, error or bulk string (UTF-8); null for the null bulk string.</summary>
    public string? AsString() => Type switch
    {
        RespType.SimpleString or RespType.Error => (string)_payload!,
        RespType.BulkString => _payload is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null,
        RespType.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidCastException($"A RESP {Type} reply is not a string: {this}"),
    };

    /// <summary>The bytes of a bulk string (null for the null bulk string); simple strings are UTF-8 encoded.</summary>
    public byte[]? AsBytes() => Type switch
    {
        RespType.BulkString => (byte[]?)_payload,
        RespType.SimpleString => Encoding.UTF8.GetBytes((string)_payload!),
        _ => throw new InvalidCastException($"A RESP {Type} reply is not a bulk string: {this}"),
    };

    /// <summary>The items of an array; null for the null array.</summary>
    public RespValue[]? AsArray() => Type == RespType.Array
        ? (RespValue[]?)_payload
        : throw new InvalidCastException($"A RESP {Type} reply is not an array: {this}");

    public bool Equals(RespValue other)
    {
        if (Type != other.Type) return false;
        return Type switch
        {
            RespType.Integer => _integer == other._integer,
            RespType.SimpleString or RespType.Error => string.Equals((string)_payload!, (string)other._payload!, StringComparison.Ordinal),
            RespType.BulkString => _payload is byte[] a ? other._payload is byte[] b && a.AsSpan().SequenceEqual(b) : other._payload is null,
            _ => _payload is RespValue[] x ? other._payload is RespValue[] y && x.AsSpan().SequenceEqual(y) : other._payload is null,
        };
    }

    public override bool Equals(object? obj) => obj is RespValue other && Equals(other);

    public override int GetHashCode() => Type switch
    {
        RespType.Integer => _integer.GetHashCode(),
        RespType.BulkString when _payload is byte[] b => HashCode.Combine(Type, b.Length),
        RespType.Array when _payload is RespValue[] a => HashCode.Combine(Type, a.Length),
        _ => HashCode.Combine(Type, _payload),
    };

    public static bool operator ==(RespValue left, RespValue right) => left.Equals(right);

    public static bool operator !=(RespValue left, RespValue right) => !left.Equals(right);

    /// <summary>A short human-readable rendering for messages and test output (bulk strings are cut at 64 bytes).</summary>
    public override string ToString()
    {
        switch (Type)
        {
            case RespType.SimpleString: return "+" + (string)_payload!;
            case RespType.Error: return "-" + (string)_payload!;
            case RespType.Integer: return ":" + _integer.ToString(CultureInfo.InvariantCulture);
            case RespType.BulkString:
                if (_payload is not byte[] bytes) return "(nil)";
                var shown = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64));
                return bytes.Length > 64 ? $"\"{shown}\"... ({bytes.Length} bytes)" : $"\"{shown}\"";
            default:
                if (_payload is not RespValue[] items) return "(nil array)";
                var text = new StringBuilder("[");
                for (var i = 0; i < items.Length && i < 16; i++) text.Append(i == 0 ? "" : ", ").Append(items[i].ToString());
                if (items.Length > 16) text.Append(CultureInfo.InvariantCulture, $", ... ({items.Length} items)");
                return text.Append(']').ToString();
        }
    }

    // Simple strings and errors are single lines on the wire; a CR or LF inside one could never be written back.
    private static string Checked(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0) throw new ArgumentException("A RESP simple string or error cannot contain CR or LF.", nameof(value));
        return value;
    }
}
