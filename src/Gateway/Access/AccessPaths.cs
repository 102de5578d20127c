using SplitCompute.Gateway.Tei;

namespace SplitCompute.Gateway.Access;

/// <summary>
/// Which requests need a key and which count against its limits, by path, so endpoints added under /v1/ later (e.g. feedback)
/// are protected without being listed. Open: /alive, /health, the dashboard page, and the manifest public key (clients must be
/// able to fetch what they pin before they hold a key). Limited: POST /v1/embeddings and TEI's POST /embed, the endpoints that
/// spend GPU time. TEI's routes (/embed, /info) need a key as their /v1 counterparts do.
/// </summary>
public static class AccessPaths
{
    public const string PublicKeyPath = "/v1/keys/manifest";

    public static bool NeedsKey(PathString path) =>
        (path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) && !path.StartsWithSegments(PublicKeyPath, StringComparison.OrdinalIgnoreCase))
        || TeiRoutes.Is(path);

    public static bool IsLimited(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && (request.Path.StartsWithSegments("/v1/embeddings", StringComparison.OrdinalIgnoreCase) || request.Path.Equals(TeiRoutes.Embed, StringComparison.OrdinalIgnoreCase));
}
