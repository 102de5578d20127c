using System.Reflection;

namespace SplitCompute.Gateway.ClientPackage;

/// <summary>
/// GET /client/{file}: the JavaScript client (clients/js/src, ES modules) for pages to import from the gateway they talk to, and
/// GET /client/kernels/{file}.wgsl: the WGSL kernels it runs, the .NET edge's own files (src/SplitCompute.WebGpu/Kernels), so the
/// browser and the .NET edge compute with one source. Both are embedded at build time; public (outside /v1/, like /dashboard):
/// code, not data. Unknown names are 404, whatever they contain.
/// </summary>
internal static class ClientPackageEndpoints
{
    private const string Prefix = "SplitCompute.Gateway.ClientPackage.";

    private static readonly Lazy<Dictionary<string, byte[]>> Files = new(Load);

    public static void MapClientPackage(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/client/{file}", [HttpMethods.Get, HttpMethods.Head], (string file) => Serve(file, "text/javascript; charset=utf-8", ".js"));
        app.MapMethods("/client/kernels/{file}", [HttpMethods.Get, HttpMethods.Head], (string file) => Serve("kernels." + file, "text/plain; charset=utf-8", ".wgsl"));
    }

    private static IResult Serve(string name, string contentType, string extension) =>
        name.EndsWith(extension, StringComparison.Ordinal) && Files.Value.TryGetValue(name, out var bytes)
            ? Results.Bytes(bytes, contentType)
            : Results.NotFound();

    private static Dictionary<string, byte[]> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            files[resource[Prefix.Length..]] = buffer.ToArray();
        }
        return files;
    }
}
