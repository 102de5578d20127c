using System.Buffers;

namespace SplitCompute.Redis.Protocol;

/// <summary>
/// Encodes a command as Redis expects it from clients: an array of bulk strings, <c>*N\r\n$len\r\narg\r\n...</c>.
/// The size is computed first so each command is one exact-size allocation and one copy.
/// </summary>
public static class RespWriter
{
    /// <summary>Bytes needed to encode the command name followed by <paramref name="args"/>.</summary>
    public static int GetByteCount(string command, ReadOnlySpan<RedisArg> args)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        long total = HeaderLength(args.Length + 1) + BulkLength(((RedisArg)command).ByteCount);
        foreach (var arg in args) total += BulkLength(arg.ByteCount);
        return total <= Array.MaxLength ? (int)total : throw new ArgumentException($"The command is {total} bytes, more than one buffer can hold.", nameof(args));
    }

    /// <summary>Writes the command into <paramref name="destination"/> and returns the bytes written.</summary>
    public static int Write(Span<byte> destination, string command, ReadOnlySpan<RedisArg> args)
    {
        var written = WriteHeader(destination, '*', args.Length + 1);
        written += WriteBulk(destination[written..], command);
        foreach (var arg in args) written += WriteBulk(destination[written..], arg);
        return written;
    }

    /// <summary>The command as one exact-size array.</summary>
    public static byte[] Encode(string command, ReadOnlySpan<RedisArg> args)
    {
        var buffer = new byte[GetByteCount(command, args)];
        Write(buffer, command, args);
        return buffer;
    }

    /// <summary>Appends the command to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, string command, ReadOnlySpan<RedisArg> args)
    {
        ArgumentNullException.ThrowIfNull(output);
        var length = GetByteCount(command, args);
        Write(output.GetSpan(length), command, args);
        output.Advance(length);
    }

    /// <summary>
    /// Appends any value in its RESP2 form: what a server sends. The client never needs it; tests and fakes do, and it
    /// is the parser's exact inverse.
    /// </summary>
    public static void Write(IBufferWriter<byte> output, RespValue value)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (value.Type)
        {
            case RespType.SimpleString:
            case RespType.Error:
                WriteLine(output, (char)value.Type, System.Text.Encoding.UTF8.GetBytes(value.AsString()!));
                break;
            case RespType.Integer:
                WriteLine(output, ':', System.Text.Encoding.ASCII.GetBytes(value.AsInteger().ToString(System.Globalization.CultureInfo.InvariantCulture)));
                break;
            case RespType.BulkString:
                if (value.AsBytes() is not { } bytes)
                {
                    WriteLine(output, '$', "-1"u8);
                    break;
                }
                WriteLine(output, '$', System.Text.Encoding.ASCII.GetBytes(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                output.Write(bytes);
                output.Write("\r\n"u8);
                break;
            default:
                if (value.AsArray() is not { } items)
                {
                    WriteLine(output, '*', "-1"u8);
                    break;
                }
                WriteLine(output, '*', System.Text.Encoding.ASCII.GetBytes(items.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                foreach (var item in items) Write(output, item);
                break;
        }
    }

    private static void WriteLine(IBufferWriter<byte> output, char prefix, ReadOnlySpan<byte> text)
    {
        output.Write([(byte)prefix]);
        output.Write(text);
        output.Write("\r\n"u8);
    }

    private static int WriteBulk(Span<byte> destination, RedisArg arg)
    {
        var length = arg.ByteCount;
        var written = WriteHeader(destination, '$', length);
        arg.CopyTo(destination.Slice(written, length));
        written += length;
        destination[written++] = (byte)'\r';
        destination[written++] = (byte)'\n';
        return written;
    }

    private static int WriteHeader(Span<byte> destination, char prefix, int count)
    {
        destination[0] = (byte)prefix;
        count.TryFormat(destination[1..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
        destination[1 + digits] = (byte)'\r';
        destination[2 + digits] = (byte)'\n';
        return digits + 3;
    }

    private static long HeaderLength(int count) => 1 + RedisArg.DecimalLength(count) + 2;

    private static long BulkLength(int payload) => HeaderLength(payload) + payload + 2;
}
