using SplitCompute.Protocol.Errors;

namespace SplitCompute.Gateway.Api;

/// <summary>An <see cref="ApiError"/> as an endpoint result: its status and OpenAI's error JSON, on every /v1 refusal.</summary>
internal sealed class ApiErrorResult(ApiError error) : IResult
{
    public ApiError Error { get; } = error;

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, Error);

    public static Task WriteAsync(HttpContext context, ApiError error)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        context.Response.StatusCode = error.Status;
        context.Response.ContentType = ApiError.MediaType;
        return context.Response.Body.WriteAsync(error.ToUtf8Json()).AsTask();
    }
}
