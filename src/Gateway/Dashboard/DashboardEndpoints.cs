using System.Reflection;

namespace SplitCompute.Gateway.Dashboard;

/// <summary>
/// GET /dashboard/: the one-machine live view of split decisions (where no Grafana runs). The page, its script and the chart
/// library (npm chart.js, pinned in web/package.json) are embedded in this assembly at build time: nothing is fetched from a
/// CDN at run time, so it works on an offline machine.
/// </summary>
internal static class DashboardEndpoints
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        [""] = ("index.html", "text/html; charset=utf-8"),
        ["dashboard.js"] = ("dashboard.js", "text/javascript; charset=utf-8"),
        ["chart.umd.js"] = ("chart.umd.js", "text/javascript; charset=utf-8"),
    };

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        // HEAD as GET without the body (RFC 9110 9.3.2): monitors and link checkers probe with it; Kestrel drops the body for HEAD.
        app.MapMethods("/dashboard/{file?}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string? file) =>
        {
            // Routing treats "/dashboard" and "/dashboard/" alike; the page's relative URLs need the slash.
            if (file is null && context.Request.Path.Value?.EndsWith('/') != true) return Results.Redirect("/dashboard/");
            if (!Files.TryGetValue(file ?? "", out var entry)) return Results.NotFound();
            var bytes = Read(entry.Resource);
            return Results.Bytes(bytes, entry.ContentType);
        });
    }

    private static readonly Dictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    private static byte[] Read(string name)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(name, out var cached)) return cached;
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"SplitCompute.Gateway.Dashboard.{name}")
                ?? throw new InvalidOperationException($"dashboard resource '{name}' is not embedded in the gateway (the build bundles it from src/Gateway/Dashboard/web)");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return Cache[name] = buffer.ToArray();
        }
    }
}
