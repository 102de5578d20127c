using Microsoft.Extensions.Options;
using SplitCompute.RedisConnection;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Enforces a key's request limits (rate, concurrency) and token limits (per minute, in flight) across replicas through Redis, and on this replica alone while Redis cannot be
/// reached (<see cref="LocalKeyLimiter"/>): an outage must neither stop paying clients nor lift their limits entirely.
/// </summary>
public sealed partial class KeyLimiter(
    RedisKeyLimiter shared, LocalKeyLimiter local, RedisTokenLimiter sharedTokens, LocalTokenLimiter localTokens, RedisConnector redis,
    IOptions<AccessOptions> options, ILogger<KeyLimiter> logger)
{
    private readonly TimeSpan _leaseTime = TimeSpan.FromSeconds(options.Value.ConcurrencyLeaseSeconds);

    public async Task<LimitDecision> TryAcquireAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        if (key is { RatePerSecond: 0, MaxConcurrent: 0 }) return LimitDecision.Allow(LimitDecision.NoLease.Instance);
        if (!redis.IsConnected) return local.TryAcquire(key);  // known down: no connect timeout on the request path
        try
        {
            return await shared.TryAcquireAsync(key, _leaseTime, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            LogFallback(logger, key.Id, ex.Message);
            return local.TryAcquire(key);
        }
    }

    /// <summary>Charges <paramref name="tokens"/> to the key's token limits; allowed: dispose the lease when the request ends.</summary>
    public async Task<LimitDecision> TryReserveTokensAsync(ApiKeyRecord key, long tokens, CancellationToken cancellationToken)
    {
        if (key is { TokensPerMinute: 0, TokensInFlight: 0 }) return LimitDecision.Allow(LimitDecision.NoLease.Instance);
        if (!redis.IsConnected) return localTokens.TryReserve(key, tokens);
        try
        {
            return await sharedTokens.TryReserveAsync(key, tokens, _leaseTime, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            LogFallback(logger, key.Id, ex.Message);
            return localTokens.TryReserve(key, tokens);
        }
    }

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "API key {KeyId}: Redis limit check failed ({Reason}); limits enforced on this replica only")]
    private static partial void LogFallback(ILogger logger, string keyId, string reason);
}
