using System.Buffers;

namespace SplitCompute.Protocol.Http;

/// <summary>
/// Reads a request body into memory up to a limit; null when it is larger (the caller answers 413). Gateway and worker both
/// buffer bodies (to plan, to retry, to parse), so the limit is enforced in one place.
/// </summary>
public static class BoundedBody
{
    public static async Task<byte[]?> ReadAsync(Stream body, long? declaredLength, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        // The usual case: a declared length within the limit is read straight into an array of that size (a server never hands
        // out more than was declared; a body that ends early comes back short and fails to parse).
        if (declaredLength is long declared and <= int.MaxValue)
        {
            if (declared > limit) return null;
            var exact = new byte[declared];
            var filled = 0;
            int n;
            while (filled < exact.Length && (n = await body.ReadAsync(exact.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0) filled += n;
            return filled == exact.Length ? exact : exact[..filled];
        }

        // Chunked or unknown length: copy through a pooled chunk.
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }
}
