namespace SplitCompute.Telemetry;

/// <summary>
/// Meter and activity-source names of the three services, and the framework ones we also collect. Dashboards query the
/// instruments by name (deploy/grafana): renaming one breaks, on purpose,
/// DeploymentTests.Every_metric_a_dashboard_panel_queries_is_exported_by_the_services (tests/SplitCompute.EndToEnd.Tests).
/// </summary>
public static class TelemetryNames
{
    public const string Gateway = "SplitCompute.Gateway";
    public const string Worker = "SplitCompute.Worker";
    public const string Edge = "SplitCompute.Edge";

    /// <summary>
    /// ASP.NET Core's and HttpClient's own meters (request durations, active requests, connections) and the runtime's (GC, thread
    /// pool, CPU, working set). Named here rather than through OpenTelemetry's AspNetCore, Http and Runtime instrumentation
    /// packages: on .NET 9+ their metrics extensions do nothing but add these meters (README, "Dependencies").
    /// </summary>
    public static IReadOnlyList<string> FrameworkMeters { get; } =
        ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime"];

    /// <summary>
    /// ASP.NET Core's incoming-request activities and HttpClient's outgoing ones: the W3C trace through YARP. HttpClient's carry
    /// the semantic-convention attributes themselves (.NET 9+); the services add ASP.NET Core's through its instrumentation.
    /// </summary>
    public static IReadOnlyList<string> FrameworkSources { get; } = ["Microsoft.AspNetCore", "System.Net.Http"];
}
