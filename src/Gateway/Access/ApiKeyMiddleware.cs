using System.Globalization;
using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Tei;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// When Gateway:RequireApiKeys is on: authenticates every /v1/ request (see <see cref="AccessPaths"/>) and holds embeddings
/// requests to their key's rate and concurrency limits. 401 + WWW-Authenticate without a valid key, 403 for a revoked one,
/// 429 + Retry-After over a limit, 503 + Retry-After when Redis is down and the key was never seen by this replica.
/// </summary>
public sealed partial class ApiKeyMiddleware(
    RequestDelegate next, ApiKeyCache keys, KeyLimiter limiter, AccessTelemetry telemetry, IOptions<AccessOptions> options, ILogger<ApiKeyMiddleware> logger)
{
    private const string Realm = "Bearer realm=\"splitcompute\"";
    private readonly bool _required = options.Value.RequireApiKeys;

    /// <summary>The authenticated key's record, for endpoints that want to attribute work (HttpContext.Items).</summary>
    public const string RecordItem = "splitcompute.api_key";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_required || !AccessPaths.NeedsKey(context.Request.Path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var key = PresentedKey.Read(context.Request, out var problem);
        if (key is null)
        {
            telemetry.Refused(problem is null ? "missing" : "invalid");
            await Unauthorized(context, problem ?? "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`", problem is not null).ConfigureAwait(false);
            return;
        }
        if (!ApiKeys.LooksValid(key))
        {
            telemetry.Refused("invalid");
            await Unauthorized(context, $"the API key is malformed (keys look like {ApiKeys.Prefix} followed by 43 base64url characters)", true).ConfigureAwait(false);
            return;
        }
        var lookup = await keys.LookupAsync(key, context.RequestAborted).ConfigureAwait(false);
        if (lookup.Unavailable)
        {
            telemetry.Refused("unverifiable");
            context.Response.Headers.RetryAfter = "2";
            await Problem(context, 503, "the API key cannot be verified right now (key store unreachable); retry shortly").ConfigureAwait(false);
            return;
        }
        if (lookup.Record is not { } record)
        {
            telemetry.Refused("unknown");
            await Unauthorized(context, "unknown API key", true).ConfigureAwait(false);
            return;
        }
        if (record.Revoked)
        {
            telemetry.Refused("revoked");
            var revoked = $"API key {record.Id} ({record.Name}) has been revoked";
            await (TeiRoutes.Is(context.Request.Path) ? TeiError.ForStatus(403, revoked).WriteAsync(context)
                : Api.ApiErrorResult.WriteAsync(context, new Protocol.Errors.ApiError(403, revoked,
                    Protocol.Errors.ApiErrorCodes.InvalidRequest, null, Protocol.Errors.ApiErrorCodes.ApiKeyRevoked))).ConfigureAwait(false);
            return;
        }
        context.Items[RecordItem] = record;
        if (!AccessPaths.IsLimited(context.Request))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var decision = await limiter.TryAcquireAsync(record, context.RequestAborted).ConfigureAwait(false);
        if (!decision.Allowed)
        {
            telemetry.Refused(decision.Kind ?? "limit");
            LogLimited(logger, record.Id, decision.Scope, decision.Reason!);
            context.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await Problem(context, 429, decision.Reason!).ConfigureAwait(false);
            return;
        }
        await using (decision.Lease.ConfigureAwait(false))
        {
            await next(context).ConfigureAwait(false);
        }
    }

    private static Task Unauthorized(HttpContext context, string detail, bool invalid)
    {
        // RFC 6750: a request without credentials gets the bare challenge; a bad credential gets error="invalid_token".
        context.Response.Headers.WWWAuthenticate = invalid ? $"{Realm}, error=\"invalid_token\"" : Realm;
        return Problem(context, 401, detail);
    }

    /// <summary>OpenAI's error object (401 invalid_api_key, 429 rate_limit_exceeded, ...), as every /v1 refusal is; TEI's on its routes.</summary>
    private static Task Problem(HttpContext context, int status, string detail) => TeiRoutes.Is(context.Request.Path)
        ? TeiError.ForStatus(status, detail).WriteAsync(context)
        : Api.StatusErrors.WriteAsync(context, status, detail);

    // Debug: one line per refused request, so a client over its limit cannot flood the log.
    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "API key {KeyId} refused by its {Scope} limits: {Reason}")]
    private static partial void LogLimited(ILogger logger, string keyId, string scope, string reason);
}
