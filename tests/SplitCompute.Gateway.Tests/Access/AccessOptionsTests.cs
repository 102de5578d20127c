using Microsoft.Extensions.Options;
using SplitCompute.Gateway.Hosting;

namespace SplitCompute.Gateway.Tests.Access;

/// <summary>Access settings that could only fail silently stop the gateway at start instead.</summary>
public sealed class AccessOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("splitcompute-access-options-").FullName;

    [Theory]
    [InlineData("https://app.example/")]
    [InlineData("https://app.example/path")]
    [InlineData("app.example")]
    [InlineData("ftp://app.example")]
    public async Task A_CORS_origin_that_could_never_match_stops_the_gateway(string origin)
    {
        await using var app = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--Gateway:RedisEndpoint=127.0.0.1:1",
            $"--Gateway:ManifestSigningKeyPath={Path.Combine(_dir, "key.pem")}",
            $"--Gateway:CorsAllowedOrigins:0={origin}",
        ]);
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("CorsAllowedOrigins", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Gateway:ApiKeyCacheSeconds=-1")]
    [InlineData("--Gateway:ConcurrencyLeaseSeconds=0")]
    public async Task Out_of_range_settings_stop_the_gateway(string setting)
    {
        await using var app = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--Gateway:RedisEndpoint=127.0.0.1:1",
            $"--Gateway:ManifestSigningKeyPath={Path.Combine(_dir, "key.pem")}", setting,
        ]);
        await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
    }

    [Fact]
    public async Task Exact_origins_start()
    {
        await using var app = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--Gateway:RedisEndpoint=127.0.0.1:1",
            $"--Gateway:ManifestSigningKeyPath={Path.Combine(_dir, "key.pem")}",
            "--Gateway:CorsAllowedOrigins:0=https://app.example", "--Gateway:CorsAllowedOrigins:1=http://localhost:5173",
        ]);
        await app.StartAsync();
        await app.StopAsync();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
