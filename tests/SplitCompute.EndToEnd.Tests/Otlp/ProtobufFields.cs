using System.Buffers.Binary;

namespace SplitCompute.EndToEnd.Tests.Otlp;

/// <summary>
/// Protobuf's wire format, as much as reading OTLP needs: a message is a sequence of fields (number, wire type, value), and a
/// nested message is a length-delimited field read the same way. Unknown fields are skipped, as protobuf readers do.
/// </summary>
internal static class ProtobufFields
{
    internal readonly record struct Field(int Number, ulong Scalar, ReadOnlyMemory<byte> Bytes);

    public static List<Field> Read(ReadOnlyMemory<byte> message)
    {
        var fields = new List<Field>();
        var span = message.Span;
        var at = 0;
        while (at < span.Length)
        {
            var start = at;
            var key = Varint(span, ref at);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    fields.Add(new Field(number, Varint(span, ref at), default));
                    break;
                case 1:
                    fields.Add(new Field(number, BinaryPrimitives.ReadUInt64LittleEndian(Take(span, ref at, 8)), default));
                    break;
                case 2:
                    var length = checked((int)Varint(span, ref at));
                    _ = Take(span, ref at, length);
                    fields.Add(new Field(number, 0, message.Slice(at - length, length)));
                    break;
                case 5:
                    fields.Add(new Field(number, BinaryPrimitives.ReadUInt32LittleEndian(Take(span, ref at, 4)), default));
                    break;
                default:
                    throw new InvalidDataException($"protobuf field {number} at byte {start} has wire type {key & 7}, which OTLP does not use");
            }
        }
        return fields;
    }

    public static IEnumerable<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> message, int number) =>
        Read(message).Where(f => f.Number == number).Select(f => f.Bytes);

    private static ulong Varint(ReadOnlySpan<byte> span, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Take(span, ref at, 1)[0];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException($"a varint longer than 10 bytes ends at byte {at}");
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> span, ref int at, int count)
    {
        if (count < 0 || at + count > span.Length)
            throw new InvalidDataException($"protobuf message truncated: {count} bytes wanted at byte {at} of {span.Length}");
        at += count;
        return span.Slice(at - count, count);
    }
}
