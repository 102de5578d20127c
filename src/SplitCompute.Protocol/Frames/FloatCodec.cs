using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SplitCompute.Protocol.Frames;

/// <summary>float[] to and from little-endian f32/f16 bytes. Decoding rejects NaN/Inf: a wrong embedding must never pass silently.</summary>
internal static class FloatCodec
{
    /// <summary>Index of the first value that would not be finite on the wire, or -1.</summary>
    public static long FirstUnencodable(ReadOnlySpan<float> values, FrameDType dtype)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]) || (dtype == FrameDType.F16 && !Half.IsFinite((Half)values[i]))) return i;
        }
        return -1;
    }

    /// <summary>Encodes all of <paramref name="source"/>; <paramref name="destination"/> must hold source.Length * size bytes.</summary>
    public static void Encode(ReadOnlySpan<float> source, Span<byte> destination, FrameDType dtype)
    {
        if (dtype == FrameDType.F32)
        {
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                return;
            }
            for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], source[i]);
            return;
        }
        for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(destination[(i * 2)..], (Half)source[i]);
    }

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/> (source.Length / size floats).
    /// <paramref name="sourceOffset"/> is where source starts in the frame, for the error message.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> source, Span<float> destination, FrameDType dtype, long sourceOffset, long firstIndex)
    {
        if (dtype == FrameDType.F32)
        {
            if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
            else for (var i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
        }
        else
        {
            for (var i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(i * 2)..]);
        }
        for (var i = 0; i < destination.Length; i++)
        {
            if (!float.IsFinite(destination[i]))
            {
                var size = FrameFormat.SizeOf(dtype);
                throw new ProtocolException($"element {firstIndex + i} is {destination[i]}; NaN and infinity are not allowed", "payload", sourceOffset + ((long)i * size));
            }
        }
    }
}
