using System.Buffers;

namespace SplitCompute.Protocol.Http;

/// <summary>
/// Reads a request body into memory up to a limit; null when it is larger (the caller answers 413). Gateway and worker both
/// buffer bodies (to plan, to retry, to parse), so the limit is enforced in one place.
/// </summary>
public static class BoundedBody
{
    /// <summary>The first buffer for a declared body; it doubles as data arrives.</summary>
    public const int FirstBufferBytes = 64 * 1024;

    public static async Task<byte[]?> ReadAsync(Stream body, long? declaredLength, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        // A declared length within the limit: the buffer grows with what arrives (doubling, never past the declaration), so a
        // client that declares megabytes and sends nothing costs a small buffer, not the declared size. A server never hands out
        // more than was declared; a body that ends early comes back short and fails to parse.
        if (declaredLength is long declared and <= int.MaxValue)
        {
            if (declared > limit) return null;
            var buffer = new byte[(int)Math.Min(declared, FirstBufferBytes)];
            var filled = 0;
            int n;
            while (filled < declared)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(declared, 2L * buffer.Length));
                if ((n = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) == 0) break;
                filled += n;
            }
            return filled == buffer.Length ? buffer : buffer[..filled];
        }

        // Chunked or unknown length: copy through a pooled chunk.
        using var stream = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (stream.Length + read > limit) return null;
                stream.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return stream.ToArray();
    }
}
