using SplitCompute.Protocol.Http;

namespace SplitCompute.InferenceWorker.Endpoints;

/// <summary>Reads a request body into memory up to a limit; null when it is larger (the caller answers 413).</summary>
internal static class RequestBody
{
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        try
        {
            return await BoundedBody.ReadAsync(request.Body, request.ContentLength, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;  // Kestrel's own limit (the same value) tripped first: answer with our 413 and its reason
        }
    }
}
