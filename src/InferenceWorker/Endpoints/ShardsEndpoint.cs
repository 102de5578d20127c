using Microsoft.Net.Http.Headers;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.InferenceWorker.Telemetry;

namespace SplitCompute.InferenceWorker.Endpoints;

/// <summary>
/// GET/HEAD /v1/shards/{sha256}: a content-addressed weight shard. The name is the hash, so the ETag is the hash and the
/// response is immutable; Range requests in bytes let clients resume (other units are ignored: the whole shard). Only 64-hex names resolve, so no path can leave the store.
/// </summary>
internal static class ShardsEndpoint
{
    public static IResult Handle(string sha256, HttpContext context, ModelHost model, WorkerTelemetry telemetry)
    {
        var path = model.Shards.TryResolve(sha256);
        if (path is null)
        {
            telemetry.ShardRequest("missing", 0);
            return new ApiErrorResult(new SplitCompute.Protocol.Errors.ApiError(StatusCodes.Status404NotFound, $"no shard '{sha256}' here", SplitCompute.Protocol.Errors.ApiErrorCodes.InvalidRequest, "sha256", "shard_not_found"));
        }
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return new CountedShardResult(
            Results.File(path, "application/octet-stream", enableRangeProcessing: IsBytesRangeOrNone(context.Request), entityTag: new EntityTagHeaderValue($"\"{sha256}\"")), telemetry);
    }

    /// <summary>
    /// Ranges in bytes only. RFC 9110 14.2: a server MUST ignore a Range in a unit it does not know, so "items=0-5" gets the whole
    /// shard (200), where ASP.NET Core's range handling would have answered 206 with bytes 0-5. Units compare case-insensitively.
    /// </summary>
    private static bool IsBytesRangeOrNone(HttpRequest request) =>
        request.Headers.Range.ToString() is not { Length: > 0 } range || range.TrimStart().StartsWith("bytes=", StringComparison.OrdinalIgnoreCase);
}
