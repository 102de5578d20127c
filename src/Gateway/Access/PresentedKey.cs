namespace SplitCompute.Gateway.Access;

/// <summary>
/// Reads the key a client presents: `Authorization: Bearer KEY` (what OpenAI clients send) or `X-API-Key: KEY`. Two different
/// keys in one request are refused rather than one picked, so a proxy adding its own cannot be confused with the client's.
/// </summary>
public static class PresentedKey
{
    public const string ApiKeyHeader = "X-API-Key";

    /// <returns>The key, or null with <paramref name="problem"/> saying why (null problem: no key at all).</returns>
    public static string? Read(HttpRequest request, out string? problem)
    {
        problem = null;
        string? bearer = null;
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 1) return Fail("more than one Authorization header", out problem);
        if (authorization.Count == 1)
        {
            var value = authorization[0] ?? "";
            if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Fail("the Authorization scheme must be Bearer", out problem);
            bearer = value["Bearer ".Length..].Trim();
        }
        var header = request.Headers[ApiKeyHeader];
        if (header.Count > 1) return Fail($"more than one {ApiKeyHeader} header", out problem);
        var apiKey = header.Count == 1 ? header[0]?.Trim() : null;
        if (bearer is not null && apiKey is not null && bearer != apiKey) return Fail($"Authorization and {ApiKeyHeader} carry different keys", out problem);
        return bearer ?? apiKey;
    }

    private static string? Fail(string why, out string? problem)
    {
        problem = why;
        return null;
    }
}
