using SplitCompute.InferenceWorker.Telemetry;

namespace SplitCompute.InferenceWorker.Endpoints;

/// <summary>
/// Runs the file result, then counts the request by what was actually answered: the status (200, 206, 304, 416) and the body
/// length are only known once the file result has evaluated Range and If-None-Match, so counting before it would count a
/// revalidation (304) or a HEAD as the whole file.
/// </summary>
internal sealed class CountedShardResult(IResult file, WorkerTelemetry telemetry) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        await file.ExecuteAsync(httpContext).ConfigureAwait(false);
        var response = httpContext.Response;
        var head = HttpMethods.IsHead(httpContext.Request.Method);
        var kind = head ? "head" : response.StatusCode switch
        {
            StatusCodes.Status200OK => "full",
            StatusCodes.Status304NotModified => "not_modified",
            _ => "range",  // 206, or 416 for a range outside the file
        };
        var sentBody = !head && response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent;
        telemetry.ShardRequest(kind, sentBody ? response.ContentLength ?? 0 : 0);
    }
}
