using System.Text.Encodings.Web;
using System.Text.Json;

namespace SplitCompute.Protocol.Errors;

/// <summary>
/// An error answered on /v1 routes in OpenAI's shape, <c>{"error": {"message", "type", "param", "code"}}</c>, so OpenAI SDKs
/// surface our message, its <c>param</c> and <c>code</c>. <see cref="Status"/> is the HTTP status; <see cref="ApiErrorCodes"/>
/// catalogues the types and codes (docs/api.md lists which status carries which).
/// </summary>
public sealed record ApiError(int Status, string Message, string Type, string? Param = null, string? Code = null)
{
    public const string MediaType = "application/json";

    public static ApiError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(400, message, ApiErrorCodes.InvalidRequest, param, code);

    /// <summary>400 from a malformed request: the exception's full message, its field as <c>param</c> ("body" is none).</summary>
    public static ApiError From(ProtocolException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return InvalidRequest(exception.Message, exception.Field is null or "body" ? null : exception.Field, exception.Code);
    }

    public static ApiError ContextLengthExceeded(string message, string param) =>
        new(400, message, ApiErrorCodes.InvalidRequest, param, ApiErrorCodes.ContextLengthExceeded);

    public static ApiError ModelNotFound(string message) => new(404, message, ApiErrorCodes.InvalidRequest, "model", ApiErrorCodes.ModelNotFound);

    public static ApiError TooLarge(string message) => new(413, message, ApiErrorCodes.InvalidRequest, null, ApiErrorCodes.RequestTooLarge);

    public static ApiError UnsupportedMediaType(string message) => new(415, message, ApiErrorCodes.InvalidRequest, null, ApiErrorCodes.UnsupportedMediaType);

    public static ApiError Unavailable(string message) => new(503, message, ApiErrorCodes.ServerError, null, ApiErrorCodes.ServiceUnavailable);

    public byte[] ToUtf8Json()
    {
        using var buffer = new MemoryStream();
        // Messages quote limits like "0 <= k < n": served as application/json, never HTML, so they need no \u003C escapes.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", Message);
            json.WriteString("type", Type);
            if (Param is null) json.WriteNull("param"); else json.WriteString("param", Param);
            if (Code is null) json.WriteNull("code"); else json.WriteString("code", Code);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The message of an error body in OpenAI's shape or RFC 9457 problem+json (<c>detail</c>); null when it is neither.</summary>
    public static string? ReadMessage(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String) return message.GetString();
            return root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String ? detail.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
