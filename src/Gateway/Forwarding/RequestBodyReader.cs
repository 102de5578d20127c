namespace SplitCompute.Gateway.Forwarding;

/// <summary>Buffers a request body up to a limit (the planner needs it, and a retry must resend it); null when larger.</summary>
internal static class RequestBodyReader
{
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
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
        return buffer.ToArray();
    }
}
