using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SplitCompute.Gateway.Forwarding;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Protocol.Errors;

namespace SplitCompute.Gateway.Tei;

/// <summary>
/// POST /embed: the TEI body becomes an OpenAI request (<see cref="TeiEmbedRequest"/>) served by <see cref="EmbeddingsProxy"/>,
/// so validation, planning, forwarding, retries and the decision log are the ones /v1/embeddings has. The proxy writes into a
/// buffer (a response body feature of our own), which never starts the client's response: the worker's headers (its
/// Content-Length above all) can still be replaced when the answer is rewritten as TEI's <c>[[...], ...]</c> or TEI's error.
/// </summary>
internal sealed class TeiEmbedEndpoint(EmbeddingsProxy proxy, IOptions<GatewayOptions> options)
{
    private readonly long _maxRequestBytes = options.Value.MaxRequestBytes;
    private readonly long _maxDrainBytes = options.Value.MaxDrainBytes;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        OversizedBody.AllowDrain(context, _maxDrainBytes);
        var body = request.ContentLength > _maxRequestBytes ? null : await RequestBodyReader.ReadAsync(request, _maxRequestBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await OversizedBody.DrainAsync(context, _maxDrainBytes).ConfigureAwait(false);
            await new TeiError(413, $"the body exceeds the limit of {_maxRequestBytes} bytes", TeiError.Validation).WriteAsync(context).ConfigureAwait(false);
            return;
        }
        var openAi = TeiEmbedRequest.ToOpenAi(body, out var refused);
        if (refused is not null)
        {
            await refused.WriteAsync(context).ConfigureAwait(false);
            return;
        }
        request.Body = new MemoryStream(openAi, writable: false);
        request.ContentLength = openAi.Length;
        request.Headers.Accept = ApiError.MediaType;        // OpenAI JSON, never a hidden-state frame
        request.Headers.AcceptEncoding = default;           // the worker's answer is rewritten, so it must come uncompressed

        var (status, answer) = await CaptureAsync(context).ConfigureAwait(false);
        if (context.RequestAborted.IsCancellationRequested) return;
        var headers = context.Response.Headers;
        headers.ContentLength = null;
        headers.Remove(HeaderNames.ContentType);
        headers.Remove(HeaderNames.ContentEncoding);
        headers.Remove(HeaderNames.TransferEncoding);
        if (status != StatusCodes.Status200OK)
        {
            var message = ApiError.ReadMessage(answer) ?? $"the embeddings path answered {status}";
            await TeiError.From(status, ReadCode(answer), message).WriteAsync(context).ConfigureAwait(false);
            return;
        }
        byte[] vectors;
        try
        {
            vectors = ToTeiVectors(answer);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await new TeiError(424, $"the worker's answer could not be read: {ex.Message}", TeiError.Backend).WriteAsync(context).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ApiError.MediaType;
        context.Response.ContentLength = vectors.Length;
        await context.Response.Body.WriteAsync(vectors, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Runs the OpenAI path with the response body going to a buffer; the status and headers it sets stay unsent.</summary>
    private async Task<(int Status, byte[] Body)> CaptureAsync(HttpContext context)
    {
        var original = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        using var buffer = new MemoryStream();
        var capture = new StreamResponseBodyFeature(buffer);
        context.Features.Set<IHttpResponseBodyFeature>(capture);
        try
        {
            await proxy.HandleAsync(context).ConfigureAwait(false);
            await capture.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            context.Features.Set(original);
        }
        return (context.Response.StatusCode, buffer.ToArray());
    }

    /// <summary>OpenAI's <c>{"data": [{"index", "embedding": [...]}]}</c> as TEI's <c>[[...], ...]</c>, each number as the worker wrote it.</summary>
    private static byte[] ToTeiVectors(byte[] answer)
    {
        using var document = JsonDocument.Parse(answer);
        using var buffer = new MemoryStream(answer.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var item in document.RootElement.GetProperty("data").EnumerateArray().OrderBy(d => d.GetProperty("index").GetInt32()))
            {
                var embedding = item.GetProperty("embedding");
                if (embedding.ValueKind != JsonValueKind.Array) throw new JsonException("an embedding is not a float array");
                embedding.WriteTo(json);
            }
            json.WriteEndArray();
        }
        return buffer.ToArray();
    }

    private static string? ReadCode(byte[] answer)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
