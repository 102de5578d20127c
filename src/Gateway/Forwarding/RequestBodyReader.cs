using SplitCompute.Protocol.Http;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>Buffers a request body up to a limit (the planner needs it, and a retry must resend it); null when larger.</summary>
internal static class RequestBodyReader
{
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        try
        {
            return await BoundedBody.ReadAsync(request.Body, request.ContentLength, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's MaxRequestBodySize (the same limit) tripped first on a body without Content-Length; unhandled, it
            // would become a bare 413 without the problem detail.
            return null;
        }
    }
}
