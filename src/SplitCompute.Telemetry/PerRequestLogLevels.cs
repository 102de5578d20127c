using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace SplitCompute.Telemetry;

/// <summary>
/// The framework's per-request log lines (request starting/finished, endpoint executing, result written, YARP's proxying,
/// HttpClient's sends) are Information by default: one or more lines per request, which at load is a cost and a flood an
/// attacker controls (issue 21). They are raised to Warning here, as ASP.NET Core's own templates do, so start-up, warnings
/// and errors remain. A category configured explicitly (Logging:LogLevel:&lt;category&gt;, e.g. =Debug to see every request)
/// keeps its configured level.
/// </summary>
public static class PerRequestLogLevels
{
    public static readonly IReadOnlyList<string> Categories =
        ["Microsoft.AspNetCore", "Yarp", "System.Net.Http.HttpClient"];

    public static ILoggingBuilder QuietPerRequestLogs(this ILoggingBuilder logging, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var category in Categories)
        {
            if (configuration[$"Logging:LogLevel:{category}"] is null) logging.AddFilter(category, LogLevel.Warning);
        }
        return logging;
    }
}
