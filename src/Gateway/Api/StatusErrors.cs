using SplitCompute.Protocol.Errors;

namespace SplitCompute.Gateway.Api;

/// <summary>
/// The <see cref="ApiError"/> for a refusal known only by its status, with the type and code OpenAI gives that status (401
/// invalid_api_key, 429 rate_limit_exceeded, 5xx server_error, ...); the message is ours.
/// </summary>
internal static class StatusErrors
{
    public static ApiError For(int status, string message, string? param = null) => status switch
    {
        401 => new ApiError(status, message, ApiErrorCodes.InvalidRequest, param, ApiErrorCodes.InvalidApiKey),
        403 => new ApiError(status, message, ApiErrorCodes.InvalidRequest, param, "permission_denied"),
        404 => new ApiError(status, message, ApiErrorCodes.InvalidRequest, param, "not_found"),
        413 => new ApiError(status, message, ApiErrorCodes.InvalidRequest, param, ApiErrorCodes.RequestTooLarge),
        415 => new ApiError(status, message, ApiErrorCodes.InvalidRequest, param, ApiErrorCodes.UnsupportedMediaType),
        429 => new ApiError(status, message, ApiErrorCodes.RateLimit, param, ApiErrorCodes.RateLimitExceeded),
        502 => new ApiError(status, message, ApiErrorCodes.ServerError, param, ApiErrorCodes.UpstreamError),
        503 => new ApiError(status, message, ApiErrorCodes.ServerError, param, ApiErrorCodes.ServiceUnavailable),
        >= 500 => new ApiError(status, message, ApiErrorCodes.ServerError, param),
        _ => new ApiError(status, message, ApiErrorCodes.InvalidRequest, param),
    };

    public static Task WriteAsync(HttpContext context, int status, string message, string? param = null) =>
        ApiErrorResult.WriteAsync(context, For(status, message, param));

    public static IResult Result(int status, string message, string? param = null) => new ApiErrorResult(For(status, message, param));
}
