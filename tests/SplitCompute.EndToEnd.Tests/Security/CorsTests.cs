using System.Net;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>CORS on a real gateway: only the configured origin, preflight answered without a key, decision headers readable.</summary>
public sealed class CorsTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/embeddings");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization, content-type, x-splitcompute-version, x-splitcompute-perf");
        return request;
    }

    [Fact]
    public async Task A_preflight_from_the_allowed_origin_is_answered_without_a_key()
    {
        using var http = cluster.NewHttpClient(null);
        using var response = await http.SendAsync(Preflight(AccessCluster.AllowedOrigin));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(AccessCluster.AllowedOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        foreach (var header in new[] { "authorization", "content-type", "x-splitcompute-version", "x-splitcompute-perf" }) Assert.Contains(header, allowed, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"), "keys travel in headers, never cookies: no credentials mode");
        Assert.Equal("600", response.Headers.GetValues("Access-Control-Max-Age").Single());
    }

    [Fact]
    public async Task Another_origin_gets_no_CORS_headers()
    {
        using var http = cluster.NewHttpClient(null);
        using var response = await http.SendAsync(Preflight("https://evil.example"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Answers_to_the_allowed_origin_expose_the_decision_headers_and_errors_are_readable_too()
    {
        var (key, _) = await cluster.NewKeyAsync();
        using var http = cluster.NewHttpClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Texts("hi") };
        request.Headers.Add("Origin", AccessCluster.AllowedOrigin);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(AccessCluster.AllowedOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var exposed = string.Join(",", response.Headers.GetValues("Access-Control-Expose-Headers"));
        foreach (var header in new[] { "X-SplitCompute-Decision", "X-SplitCompute-Predicted", "X-SplitCompute-Warning", "Retry-After" })
            Assert.Contains(header, exposed, StringComparison.OrdinalIgnoreCase);

        using var keyless = cluster.NewHttpClient(null);
        using var denied = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = Requests.Texts("hi") };
        denied.Headers.Add("Origin", AccessCluster.AllowedOrigin);
        using var unauthorized = await keyless.SendAsync(denied);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.True(unauthorized.Headers.Contains("Access-Control-Allow-Origin"), "a browser script must be able to read why it was refused");
    }
}
