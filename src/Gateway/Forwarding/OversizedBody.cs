using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace SplitCompute.Gateway.Forwarding;

/// <summary>
/// Refusing a body over the limit while the client is still sending it: if the connection closed at once, the client would see a
/// reset instead of our 413 (the OpenAI SDKs report "connection reset" or "fetch failed"). So the rest of such a body, up to
/// <c>Gateway:MaxDrainBytes</c>, is read and thrown away before the 413 is written; a larger one closes the connection.
/// </summary>
internal static class OversizedBody
{
    private const int BufferBytes = 64 * 1024;

    /// <summary>
    /// Lets this request's body be read past Kestrel's limit, up to <paramref name="drainLimit"/>, so that <see cref="DrainAsync"/>
    /// can consume it. Must run before the body is first read; the buffering limit itself is enforced by <c>BoundedBody</c>.
    /// </summary>
    public static void AllowDrain(HttpContext context, long drainLimit)
    {
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false } && drainLimit > (feature.MaxRequestBodySize ?? long.MaxValue)) feature.MaxRequestBodySize = drainLimit;
    }

    /// <summary>
    /// Reads what is left of the body, at most <paramref name="drainLimit"/> bytes in all; when it is larger, or the client stops
    /// sending, the answer carries <c>Connection: close</c> (Kestrel closes after it).
    /// </summary>
    public static async Task DrainAsync(HttpContext context, long drainLimit)
    {
        if (context.Request.ContentLength > drainLimit)
        {
            context.Response.Headers[HeaderNames.Connection] = "close";
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // Over the drain limit (Kestrel's 413), under the minimum data rate, or the client went away.
            context.Response.Headers[HeaderNames.Connection] = "close";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
