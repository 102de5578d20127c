namespace SplitCompute.Protocol.Errors;

/// <summary>The <c>type</c> and <c>code</c> values of <see cref="ApiError"/>, as OpenAI spells them where OpenAI has one.</summary>
public static class ApiErrorCodes
{
    // Types.
    public const string InvalidRequest = "invalid_request_error";
    public const string RateLimit = "requests";
    public const string ServerError = "server_error";

    // Codes.
    public const string ContextLengthExceeded = "context_length_exceeded";
    public const string ModelNotFound = "model_not_found";
    public const string InvalidApiKey = "invalid_api_key";
    public const string ApiKeyRevoked = "api_key_revoked";
    public const string RateLimitExceeded = "rate_limit_exceeded";
    public const string RequestTooLarge = "request_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string ServiceUnavailable = "service_unavailable";
    public const string NotAcceptable = "not_acceptable";
    public const string UpstreamError = "upstream_error";
}
