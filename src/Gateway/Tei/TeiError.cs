using System.Text.Encodings.Web;
using System.Text.Json;
using SplitCompute.Protocol.Errors;

namespace SplitCompute.Gateway.Tei;

/// <summary>
/// An error in text-embeddings-inference's shape, <c>{"error": "...", "error_type": "Validation"}</c>, with TEI's statuses:
/// 413 Validation (body, batch or input too large), 422 Validation (a malformed body), 400 Empty, 424 Backend, 429 Overloaded.
/// </summary>
internal sealed record TeiError(int Status, string Message, string Type)
{
    public const string Validation = "Validation";
    public const string Empty = "Empty";
    public const string Backend = "Backend";
    public const string Overloaded = "Overloaded";
    public const string Unhealthy = "Unhealthy";
    public const string Unauthorized = "Unauthorized";

    /// <summary>The OpenAI refusal the shared embeddings path gave, as TEI answers the same failure.</summary>
    public static TeiError From(int status, string? code, string message) => (status, code) switch
    {
        (400, ApiErrorCodes.ContextLengthExceeded) or (413, _) => new(413, message, Validation),
        (400, _) => new(422, message, Validation),
        (401 or 403, _) => new(status, message, Unauthorized),
        (429, _) => new(429, message, Overloaded),
        (404, _) or (>= 500, _) => new(424, message, Backend),
        _ => new(status, message, Validation),
    };

    /// <summary>A refusal known only by its status (the API-key middleware's).</summary>
    public static TeiError ForStatus(int status, string message) => status == 503 ? new(503, message, Unhealthy) : From(status, null, message);

    public Task WriteAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = Status;
        context.Response.ContentType = ApiError.MediaType;
        return context.Response.Body.WriteAsync(ToUtf8Json()).AsTask();
    }

    public byte[] ToUtf8Json()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("error", Message);
            json.WriteString("error_type", Type);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
