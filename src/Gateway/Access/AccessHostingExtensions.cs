using Microsoft.Extensions.Options;
using SplitCompute.Protocol;

namespace SplitCompute.Gateway.Access;

/// <summary>Wires keys, limits and CORS into the gateway: two calls from the composition root.</summary>
public static class AccessHostingExtensions
{
    public const string CorsPolicy = "splitcompute-browsers";

    /// <summary>Response headers a browser script may read: the decision, the predictions, warnings and what a retry needs.</summary>
    public static readonly string[] ExposedHeaders =
        [HeaderNames.Decision, HeaderNames.Predicted, HeaderNames.Warning, HeaderNames.Shaping, HeaderNames.WorkerMs, "Retry-After", "ETag", "Content-Range", "Accept-Ranges", "Content-Length"];

    public static IServiceCollection AddGatewayAccess(this IServiceCollection services)
    {
        services.AddOptions<AccessOptions>().BindConfiguration(Hosting.GatewayOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.CorsAllowedOrigins.All(IsOrigin),
                "Gateway:CorsAllowedOrigins entries are exact origins, scheme://host[:port] with no path (e.g. https://app.example)")
            .ValidateOnStart();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton(sp => new ApiKeyMac(sp.GetService<Protocol.Cluster.ClusterSecret>() ?? Protocol.Cluster.ClusterSecret.None));
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<RedisKeyLimiter>();
        services.AddSingleton<LocalKeyLimiter>();
        services.AddSingleton<RedisTokenLimiter>();
        services.AddSingleton<LocalTokenLimiter>();
        services.AddSingleton<KeyLimiter>();
        services.AddSingleton<TokenAdmission>();
        services.AddSingleton<AccessTelemetry>();
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<AccessOptions>>((cors, access) =>
            cors.AddPolicy(CorsPolicy, policy =>
            {
                // No credentials mode: keys travel in headers the script sets itself, never in cookies, so a page on an allowed
                // origin cannot borrow a user's ambient credentials, and "*" origins stay impossible by construction.
                policy.WithOrigins(access.Value.CorsAllowedOrigins)
                    .WithMethods("GET", "HEAD", "POST")
                    .WithHeaders([.. AllowedRequestHeaders()])
                    .WithExposedHeaders(ExposedHeaders)
                    .SetPreflightMaxAge(TimeSpan.FromSeconds(access.Value.CorsMaxAgeSeconds));
            }));
        return services;
    }

    /// <summary>CORS first (a preflight carries no key and must be answered), then keys and limits, before any endpoint runs.</summary>
    public static WebApplication UseGatewayAccess(this WebApplication app)
    {
        app.UseCors(CorsPolicy);
        app.UseMiddleware<ApiKeyMiddleware>();
        return app;
    }

    // Browsers send Origin as scheme://host[:port]; an entry with a path or a trailing slash would never match, silently.
    private static bool IsOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && string.Equals(origin.TrimEnd('/'), uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase) && !origin.EndsWith('/');

    // Every X-SplitCompute-* constant of the protocol, so a header added there later is allowed without being listed here.
    private static IEnumerable<string> AllowedRequestHeaders() =>
        ["Authorization", PresentedKey.ApiKeyHeader, "Content-Type", "Accept", "Range", "If-None-Match",
         .. typeof(HeaderNames).GetFields().Where(f => f.IsLiteral && f.GetRawConstantValue() is string s && s.StartsWith("X-SplitCompute-", StringComparison.Ordinal))
             .Select(f => (string)f.GetRawConstantValue()!)];
}
