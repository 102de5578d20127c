using System.Buffers;
using System.Buffers.Binary;

namespace SplitCompute.Protocol.Frames;

/// <summary>Serializes a <see cref="HiddenStateFrame"/>: prefix, padded JSON header, payload. Cannot fail on a frame that exists.</summary>
public static class FrameWriter
{
    /// <summary>Floats encoded per chunk, so large payloads stream without a second full-size buffer.</summary>
    private const int ChunkElements = 16 * 1024;

    /// <summary>Total encoded size in bytes.</summary>
    public static long GetLength(HiddenStateFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return FrameFormat.PrefixLength + FrameHeaderCodec.Encode(frame).Length + PayloadBytes(frame);
    }

    public static byte[] ToArray(HiddenStateFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var header = FrameHeaderCodec.Encode(frame);
        var result = new byte[FrameFormat.PrefixLength + header.Length + PayloadBytes(frame)];
        WritePrefix(result, header.Length);
        header.CopyTo(result.AsSpan(FrameFormat.PrefixLength));
        FloatCodec.Encode(frame.Data, result.AsSpan(FrameFormat.PrefixLength + header.Length), frame.DType);
        return result;
    }

    public static void Write(IBufferWriter<byte> writer, HiddenStateFrame frame)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(frame);
        var header = FrameHeaderCodec.Encode(frame);
        WritePrefix(writer.GetSpan(FrameFormat.PrefixLength), header.Length);
        writer.Advance(FrameFormat.PrefixLength);
        writer.Write(header);
        var size = FrameFormat.SizeOf(frame.DType);
        for (var i = 0; i < frame.Data.Length; i += ChunkElements)
        {
            var chunk = frame.Data.AsSpan(i, Math.Min(ChunkElements, frame.Data.Length - i));
            FloatCodec.Encode(chunk, writer.GetSpan(chunk.Length * size), frame.DType);
            writer.Advance(chunk.Length * size);
        }
    }

    public static void Write(Stream stream, HiddenStateFrame frame)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(frame);
        var header = FrameHeaderCodec.Encode(frame);
        Span<byte> prefix = stackalloc byte[FrameFormat.PrefixLength];
        WritePrefix(prefix, header.Length);
        stream.Write(prefix);
        stream.Write(header);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkElements * 4);
        try
        {
            var size = FrameFormat.SizeOf(frame.DType);
            for (var i = 0; i < frame.Data.Length; i += ChunkElements)
            {
                var chunk = frame.Data.AsSpan(i, Math.Min(ChunkElements, frame.Data.Length - i));
                FloatCodec.Encode(chunk, buffer, frame.DType);
                stream.Write(buffer, 0, chunk.Length * size);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>For ASP.NET response bodies, which refuse synchronous writes.</summary>
    public static async Task WriteAsync(Stream stream, HiddenStateFrame frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(frame);
        var header = FrameHeaderCodec.Encode(frame);
        var prefix = new byte[FrameFormat.PrefixLength];
        WritePrefix(prefix, header.Length);
        await stream.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkElements * 4);
        try
        {
            var size = FrameFormat.SizeOf(frame.DType);
            for (var i = 0; i < frame.Data.Length; i += ChunkElements)
            {
                var count = Math.Min(ChunkElements, frame.Data.Length - i);
                FloatCodec.Encode(frame.Data.AsSpan(i, count), buffer, frame.DType);
                await stream.WriteAsync(buffer.AsMemory(0, count * size), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long PayloadBytes(HiddenStateFrame frame) => frame.Data.LongLength * FrameFormat.SizeOf(frame.DType);

    private static void WritePrefix(Span<byte> destination, int headerLength)
    {
        FrameFormat.Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FrameFormat.VersionOffset..], FrameFormat.Version);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrameFormat.HeaderLengthOffset..], (ulong)headerLength);
    }
}
