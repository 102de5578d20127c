using System.Net;
using System.Net.Sockets;
using SplitCompute.Gateway.Access;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// A deployment that requires API keys and allows one browser origin (CORS): the origin of a page served elsewhere, on a port
/// chosen before the gateway starts, so the page's own server can take it.
/// </summary>
public sealed class CrossOriginCluster() : SplitCluster(["--Gateway:RequireApiKeys=true", $"--Gateway:CorsAllowedOrigins:0={PageOriginFor(PagePortValue)}"])
{
    private static readonly int PagePortValue = FreePort();

    public int PagePort => PagePortValue;

    public string PageOrigin => PageOriginFor(PagePort);

    public async Task<string> NewKeyAsync()
    {
        await using var redis = Redis.Connect();
        var (key, _) = await new ApiKeyStore(redis, TimeProvider.System).CreateAsync("page", 0, 0, 0, 0);
        return key;
    }

    private static string PageOriginFor(int port) => $"http://127.0.0.1:{port}";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
