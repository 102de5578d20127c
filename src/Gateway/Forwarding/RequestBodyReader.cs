using System.Buffers;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>Buffers a request body up to a limit (the planner needs it, and a retry must resend it); null when larger.</summary>
internal static class RequestBodyReader
{
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        // The usual case: a declared length within the limit is read straight into an array of that size (the server never
        // hands out more than was declared; a body that ends early comes back short, as before, and fails to parse).
        if (request.ContentLength is long declared and <= int.MaxValue)
        {
            if (declared > limit) return null;
            var body = new byte[declared];
            var filled = 0;
            int n;
            while (filled < body.Length && (n = await request.Body.ReadAsync(body.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0) filled += n;
            return filled == body.Length ? body : body[..filled];
        }

        // Chunked or unknown length: copy through a pooled chunk.
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's MaxRequestBodySize (the same limit) tripped first on a body without Content-Length; unhandled, it
            // would become a bare 413 without the problem detail.
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }
}
