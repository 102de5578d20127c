using System.Buffers;
using System.Buffers.Binary;

namespace SplitCompute.Protocol.Frames;

/// <summary>
/// Parses and fully validates a frame. Every problem is a <see cref="ProtocolException"/> naming the field, expected vs found,
/// and the byte offset. Sizes are checked against <see cref="FrameLimits"/> before anything is allocated.
/// </summary>
public static class FrameReader
{
    private const int ChunkBytes = 64 * 1024;

    public static HiddenStateFrame Read(ReadOnlySpan<byte> frame, FrameLimits? limits = null)
    {
        limits ??= FrameLimits.Default;
        if (frame.Length < FrameFormat.PrefixLength)
            throw new ProtocolException($"frame is {frame.Length} bytes, shorter than the {FrameFormat.PrefixLength}-byte prefix", "prefix", frame.Length);
        var headerLength = CheckPrefix(frame[..FrameFormat.PrefixLength], limits);
        var available = frame.Length - FrameFormat.PrefixLength;
        if (headerLength > available)
            throw new ProtocolException($"header length {headerLength} runs past the end of the frame ({available} bytes after the prefix)", "header_length", FrameFormat.HeaderLengthOffset);
        var header = FrameHeaderCodec.Decode(frame.Slice(FrameFormat.PrefixLength, (int)headerLength), FrameFormat.PrefixLength, limits);

        var payloadStart = FrameFormat.PrefixLength + (int)headerLength;
        var payload = frame[payloadStart..];
        if (payload.Length != header.PayloadBytes)
        {
            var what = payload.Length < header.PayloadBytes ? "truncated" : "has trailing bytes";
            throw new ProtocolException($"payload {what}: expected {header.PayloadBytes} bytes ({ShapeText(header)}), found {payload.Length}",
                "payload", payloadStart + Math.Min(payload.Length, header.PayloadBytes));
        }
        var data = new float[header.ElementCount];
        FloatCodec.Decode(payload, data, header.DType, payloadStart, 0);
        return HiddenStateFrame.Trusted(header, data);
    }

    /// <summary>Reads one frame that extends to the end of <paramref name="stream"/> (e.g. an HTTP body).</summary>
    public static HiddenStateFrame Read(Stream stream, FrameLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= FrameLimits.Default;
        var prefix = new byte[FrameFormat.PrefixLength];
        Fill(prefix, stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false), "prefix", 0);
        var headerLength = CheckPrefix(prefix, limits);
        var headerBytes = new byte[headerLength];
        Fill(headerBytes, stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false), "header", FrameFormat.PrefixLength);
        var header = FrameHeaderCodec.Decode(headerBytes, FrameFormat.PrefixLength, limits);

        var offset = FrameFormat.PrefixLength + headerLength;
        var data = new float[header.ElementCount];
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            var size = FrameFormat.SizeOf(header.DType);
            for (long element = 0; element < data.LongLength;)
            {
                var count = (int)Math.Min(ChunkBytes / size, data.LongLength - element);
                var got = stream.ReadAtLeast(buffer.AsSpan(0, count * size), count * size, throwOnEndOfStream: false);
                CheckPayloadChunk(header, got, count * size, offset);
                FloatCodec.Decode(buffer.AsSpan(0, count * size), data.AsSpan((int)element, count), header.DType, offset, element);
                element += count;
                offset += count * size;
            }
            CheckEnd(header, stream.Read(buffer, 0, 1), offset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return HiddenStateFrame.Trusted(header, data);
    }

    /// <summary>As <see cref="Read(Stream, FrameLimits?)"/>, for ASP.NET / HttpClient bodies that refuse synchronous reads.</summary>
    public static async Task<HiddenStateFrame> ReadAsync(Stream stream, FrameLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= FrameLimits.Default;
        var prefix = new byte[FrameFormat.PrefixLength];
        Fill(prefix, await stream.ReadAtLeastAsync(prefix, prefix.Length, false, cancellationToken).ConfigureAwait(false), "prefix", 0);
        var headerLength = CheckPrefix(prefix, limits);
        var headerBytes = new byte[headerLength];
        Fill(headerBytes, await stream.ReadAtLeastAsync(headerBytes, headerBytes.Length, false, cancellationToken).ConfigureAwait(false), "header", FrameFormat.PrefixLength);
        var header = FrameHeaderCodec.Decode(headerBytes, FrameFormat.PrefixLength, limits);

        var offset = FrameFormat.PrefixLength + headerLength;
        var data = new float[header.ElementCount];
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            var size = FrameFormat.SizeOf(header.DType);
            for (long element = 0; element < data.LongLength;)
            {
                var count = (int)Math.Min(ChunkBytes / size, data.LongLength - element);
                var got = await stream.ReadAtLeastAsync(buffer.AsMemory(0, count * size), count * size, false, cancellationToken).ConfigureAwait(false);
                CheckPayloadChunk(header, got, count * size, offset);
                FloatCodec.Decode(buffer.AsSpan(0, count * size), data.AsSpan((int)element, count), header.DType, offset, element);
                element += count;
                offset += count * size;
            }
            CheckEnd(header, await stream.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false), offset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return HiddenStateFrame.Trusted(header, data);
    }

    /// <summary>Checks magic, version and header length; returns the header length.</summary>
    private static int CheckPrefix(ReadOnlySpan<byte> prefix, FrameLimits limits)
    {
        if (!prefix[..4].SequenceEqual(FrameFormat.Magic))
            throw new ProtocolException($"expected magic \"SCHF\" (53 43 48 46), found {Convert.ToHexString(prefix[..4])}; not a SplitCompute frame", "magic", 0);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(prefix[FrameFormat.VersionOffset..]);
        if (version != FrameFormat.Version)
            throw new ProtocolException($"unsupported format version: expected {FrameFormat.Version}, found {version}", "version", FrameFormat.VersionOffset);
        var raw = BinaryPrimitives.ReadUInt64LittleEndian(prefix[FrameFormat.HeaderLengthOffset..]);
        var max = Math.Min(limits.MaxHeaderBytes, Array.MaxLength);
        if (raw > (ulong)max)
            throw new ProtocolException($"header length {raw} is over the {max}-byte limit", "header_length", FrameFormat.HeaderLengthOffset);
        if (raw == 0 || raw % FrameFormat.Alignment != 0)
            throw new ProtocolException($"header length {raw}: expected a positive multiple of {FrameFormat.Alignment} (the header is space-padded)", "header_length", FrameFormat.HeaderLengthOffset);
        return (int)raw;
    }

    private static void Fill(byte[] target, int got, string field, long offset)
    {
        if (got < target.Length)
            throw new ProtocolException($"truncated: expected {target.Length} bytes, stream ended after {got}", field, offset + got);
    }

    private static void CheckPayloadChunk(FrameHeader header, int got, int wanted, long offset)
    {
        if (got < wanted)
            throw new ProtocolException($"payload truncated: expected {header.PayloadBytes} bytes ({ShapeText(header)}), stream ended at byte {offset + got}", "payload", offset + got);
    }

    private static void CheckEnd(FrameHeader header, int extra, long offset)
    {
        if (extra > 0)
            throw new ProtocolException($"payload has trailing bytes: expected exactly {header.PayloadBytes} bytes ({ShapeText(header)}) and then the end", "payload", offset);
    }

    private static string ShapeText(FrameHeader header) =>
        $"{string.Join("*", header.Shape)} {FrameFormat.ToWire(header.DType)}";
}
