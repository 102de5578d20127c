using SplitCompute.Protocol.Errors;

namespace SplitCompute.InferenceWorker.Endpoints;

/// <summary>An <see cref="ApiError"/> as an endpoint result: its status and OpenAI's error JSON (the gateway passes it through).</summary>
internal sealed class ApiErrorResult(ApiError error) : IResult
{
    public ApiError Error { get; } = error;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = Error.Status;
        httpContext.Response.ContentType = ApiError.MediaType;
        return httpContext.Response.Body.WriteAsync(Error.ToUtf8Json()).AsTask();
    }
}
