using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using SplitCompute.Gateway.Hosting;
using SplitCompute.Gateway.Tei;

namespace SplitCompute.Gateway.Connections;

/// <summary>
/// What every request passes before authentication (ASP.NET Core's rate limiter): a token bucket per client address
/// (<see cref="GatewayOptions.MaxRequestsPerSecondPerIp"/>, 429) and a cap on requests in progress
/// (<see cref="GatewayOptions.MaxConcurrentRequests"/>, 503), both answered at once with Retry-After, never queued: under a flood
/// the gateway sheds load instead of growing queues until it dies. <c>/alive</c> is exempt, so a busy gateway is not restarted.
/// </summary>
internal static class RequestAdmission
{
    public static IServiceCollection AddRequestAdmission(this IServiceCollection services, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var perIp = options.MaxRequestsPerSecondPerIp;
        var concurrent = options.MaxConcurrentRequests;
        var retryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, IPAddress>(context => Exempt(context) || perIp == 0
                    ? RateLimitPartition.GetNoLimiter(IPAddress.None)
                    : RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress ?? IPAddress.None, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = 2 * perIp, TokensPerPeriod = perIp, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
                    })),
                PartitionedRateLimiter.Create<HttpContext, bool>(context => Exempt(context)
                    ? RateLimitPartition.GetNoLimiter(false)
                    : RateLimitPartition.GetConcurrencyLimiter(true, _ => new ConcurrencyLimiterOptions { PermitLimit = concurrent, QueueLimit = 0 })));
            limiter.OnRejected = (rejected, _) =>
            {
                var context = rejected.HttpContext;
                // The address's bucket says when it refills; the in-progress cap has no such date.
                var overIp = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var refill);
                context.Response.Headers.RetryAfter = overIp ? Math.Max(1, (int)Math.Ceiling(refill.TotalSeconds)).ToString(CultureInfo.InvariantCulture) : retryAfter;
                context.RequestServices.GetRequiredService<Telemetry.GatewayTelemetry>().Shed(overIp ? "address_rate" : "capacity");
                var (status, detail) = overIp
                    ? (429, $"too many requests from this address (Gateway:MaxRequestsPerSecondPerIp = {perIp} per second)")
                    : (503, $"the gateway is at capacity ({concurrent} requests in progress, Gateway:MaxConcurrentRequests); retry shortly");
                return new ValueTask(TeiRoutes.Is(context.Request.Path)
                    ? TeiError.ForStatus(status, detail).WriteAsync(context)
                    : Api.StatusErrors.WriteAsync(context, status, detail));
            };
        });
        return services;
    }

    private static bool Exempt(HttpContext context) => context.Request.Path.StartsWithSegments("/alive", StringComparison.Ordinal);
}
