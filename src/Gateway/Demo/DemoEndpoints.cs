using System.Reflection;

namespace SplitCompute.Gateway.Demo;

/// <summary>
/// GET /demo/: a page that splits with this gateway in the visitor's browser (issue 24): the JavaScript client from /client/ on the
/// page's WebGPU, the split the gateway picked, shard download progress, predicted against observed stage times, the embeddings,
/// and a similarity search over a small built-in corpus. Embedded at build time (src/Gateway/Demo/web); public, like /dashboard.
/// </summary>
internal static class DemoEndpoints
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["demo.js"] = "text/javascript; charset=utf-8",
    };

    private static readonly Lazy<Dictionary<string, byte[]>> Files = new(() => ContentTypes.Keys.ToDictionary(name => name, Read, StringComparer.Ordinal));

    public static void MapDemo(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/demo/{file?}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string? file) =>
        {
            // "/demo" and "/demo/" route alike; the page's relative URLs need the slash.
            if (file is null && context.Request.Path.Value?.EndsWith('/') != true) return Results.Redirect("/demo/" + context.Request.QueryString);
            var name = file ?? "index.html";
            return Files.Value.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, ContentTypes[name]) : Results.NotFound();
        });
    }

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"SplitCompute.Gateway.Demo.{name}")
            ?? throw new InvalidOperationException($"demo resource '{name}' is not embedded in the gateway (src/Gateway/Demo/web)");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
