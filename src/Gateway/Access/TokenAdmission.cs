using System.Globalization;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Holds an embeddings request to its key's token limits once its tokens are counted (after validation, before any worker
/// sees it). The request limits were checked by <see cref="ApiKeyMiddleware"/> before the body was read; tokens are known only
/// after tokenization. Keyless requests (keys off) pass.
/// </summary>
public sealed partial class TokenAdmission(KeyLimiter limiter, AccessTelemetry telemetry, ILogger<TokenAdmission> logger)
{
    /// <summary>The lease to dispose when the request ends, or null when refused (429 already written).</summary>
    public async Task<IAsyncDisposable?> TryAdmitAsync(HttpContext context, long tokens)
    {
        if (context.Items[ApiKeyMiddleware.RecordItem] is not ApiKeyRecord record) return LimitDecision.NoLease.Instance;
        var decision = await limiter.TryReserveTokensAsync(record, tokens, context.RequestAborted).ConfigureAwait(false);
        if (decision.Allowed) return decision.Lease;
        telemetry.Refused(decision.Kind ?? "tokens");
        LogLimited(logger, record.Id, decision.Scope, decision.Reason!);
        if (decision.RetryAfterSeconds > 0) context.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await Api.StatusErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, decision.Reason!, decision.Kind).ConfigureAwait(false);
        return null;
    }

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "API key {KeyId} refused by its {Scope} token limits: {Reason}")]
    private static partial void LogLimited(ILogger logger, string keyId, string scope, string reason);
}
