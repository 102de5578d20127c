using System.Net;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// The gateway serves the JavaScript client (clients/js/src) at /client/ and the WGSL kernels at /client/kernels/, byte for
/// byte the repository's files (the .NET edge compiles the same ones), without a key; anything else there is 404.
/// </summary>
public sealed class ClientPackageEndpointTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    [Theory]
    [InlineData("/client/index.js", "clients/js/src/index.js", "text/javascript")]
    [InlineData("/client/frame.js", "clients/js/src/frame.js", "text/javascript")]
    [InlineData("/client/kernels/matmul_rows.wgsl", "src/SplitCompute.WebGpu/Kernels/matmul_rows.wgsl", "text/plain")]
    [InlineData("/client/kernels/attention.wgsl", "src/SplitCompute.WebGpu/Kernels/attention.wgsl", "text/plain")]
    public async Task Client_files_and_kernels_are_the_repositorys_own(string path, string file, string mediaType)
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, file)), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/client/missing.js")]
    [InlineData("/client/kernels/missing.wgsl")]
    [InlineData("/client/kernels.matmul.wgsl")]
    [InlineData("/client/..%2Fappsettings.json")]
    [InlineData("/client/kernels/matmul.js")]
    public async Task Anything_else_is_404(string path)
    {
        using var http = cluster.NewHttpClient();
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
