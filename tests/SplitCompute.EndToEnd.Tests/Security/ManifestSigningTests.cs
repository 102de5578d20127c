using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.EdgeRuntime.Integrity;
using SplitCompute.InferenceWorker.Execution;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Capabilities;
using SplitCompute.Protocol.Manifests;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// Signed manifests end to end: the gateway signs what the worker published, an edge pinning the gateway's key splits as
/// before, and an edge pinning it refuses (then answers from the cloud) a frame whose manifest is not the signed one.
/// </summary>
public sealed class ManifestSigningTests(AccessCluster cluster) : IClassFixture<AccessCluster>
{
    private async Task<string> PublishedPemAsync()
    {
        using var http = cluster.NewHttpClient(null);
        using var json = JsonDocument.Parse(await http.GetStringAsync("/v1/keys/manifest"));
        Assert.Equal("ES256", json.RootElement.GetProperty("alg").GetString());
        return json.RootElement.GetProperty("public_key_pem").GetString()!;
    }

    private ModelHost Worker => cluster.Workers[0].Services.GetRequiredService<ModelHost>();

    private async Task<EdgeClient> EdgeAsync(string pem, HttpMessageHandler? handler = null)
    {
        var (key, _) = await cluster.NewKeyAsync();
        return new EdgeClient(new EdgeOptions(cluster.GatewayUri, cluster.NewCacheDirectory())
        {
            ApiKey = key, ManifestPublicKeyPem = pem, Gflops = 50, DownlinkMbps = 10_000,
        }, handler);
    }

    [Fact]
    public async Task Both_replicas_sign_the_workers_manifest_with_the_one_published_key()
    {
        var pem = await PublishedPemAsync();
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(pem);
        var (key, _) = await cluster.NewKeyAsync();
        foreach (var gateway in new[] { cluster.GatewayUri, cluster.ReplicaUri })
        {
            using var http = cluster.NewHttpClient(key, gateway);
            using var response = await http.GetAsync($"/v1/manifests/{SplitCluster.Model}/{Worker.Revision}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(MediaTypes.SignedManifest, response.Content.Headers.ContentType!.MediaType);
            var manifest = SignedManifest.FromJson(await response.Content.ReadAsByteArrayAsync()).Verify(publicKey);
            Assert.Equal(Worker.Manifest, manifest);
        }
    }

    [Fact]
    public async Task Unknown_revisions_are_404_and_impossible_names_400()
    {
        var (key, _) = await cluster.NewKeyAsync();
        using var http = cluster.NewHttpClient(key);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/manifests/{SplitCluster.Model}/no-such-revision")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/v1/manifests/{SplitCluster.Model}/{new string('r', 300)}")).StatusCode);
    }

    [Fact]
    public async Task An_edge_pinning_the_gateways_key_splits_and_matches_the_cloud()
    {
        using var edge = await EdgeAsync(await PublishedPemAsync());
        var split = await edge.EmbedTextsAsync(["Hello world", "signed"], SplitPreference.Force(1));
        Assert.False(split.FellBack, split.FallbackReason);
        var cloud = await edge.EmbedTextsAsync(["Hello world", "signed"], SplitPreference.None);
        EmbeddingAssert.Close(cloud.Embeddings, split.Embeddings);
    }

    [Fact]
    public async Task An_edge_pinning_another_key_refuses_the_split_and_answers_from_the_cloud()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var edge = await EdgeAsync(stranger.ExportSubjectPublicKeyInfoPem());
        var result = await edge.EmbedTextsAsync(["Hello world"], SplitPreference.Force(1));
        Assert.True(result.FellBack);
        Assert.Equal(4, result.K);
        Assert.Contains(nameof(ManifestVerificationException), result.FallbackReason, StringComparison.Ordinal);
        Assert.Contains("pinned key", result.FallbackReason, StringComparison.Ordinal);
    }

    public static TheoryData<string> Tamperings() => ["shard", "epsilon", "url", "final_norm"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task A_frame_manifest_altered_in_transit_is_refused_before_any_shard_is_fetched(string what)
    {
        var evil = Convert.ToHexStringLower(SHA256.HashData("attacker weights"u8));
        var handler = new TamperingHandler(m => what switch
        {
            // An attacker serving their own weights would list their shard's true hash: the edge's SHA-256 check alone would pass it.
            "shard" => m with { Shards = [.. m.Shards.Select(s => s.Layer == 2 ? s with { Sha256 = evil, Url = $"/v1/shards/{evil}" } : s)] },
            "epsilon" => m with { LayerNormEpsilon = 0.5 },
            "url" => m with { Shards = [.. m.Shards.Select(s => s.Layer == 2 ? s with { Url = $"/v1/shards/{evil}" } : s)] },
            _ => m with { FinalNorm = m.FinalNorm! with { Bytes = m.FinalNorm.Bytes + 1 } },
        });
        using var edge = await EdgeAsync(await PublishedPemAsync(), handler);
        var result = await edge.EmbedTextsAsync(["Hello world"], SplitPreference.Force(1));
        Assert.Equal(1, handler.Tampered);
        Assert.True(result.FellBack, "the tampered frame was used");
        Assert.Contains(nameof(ManifestVerificationException), result.FallbackReason, StringComparison.Ordinal);
        Assert.Equal(0, result.Timings.DownloadedBytes);
        var cloud = await edge.EmbedTextsAsync(["Hello world"], SplitPreference.None);
        EmbeddingAssert.Close(cloud.Embeddings, result.Embeddings);
    }

    [Fact]
    public async Task Without_a_pinned_key_the_same_tampering_goes_unnoticed_until_a_download_fails()
    {
        // The documented trade-off of running unpinned: the frame's manifest is trusted as sent.
        var handler = new TamperingHandler(m => m with { LayerNormEpsilon = 0.5 });
        var (key, _) = await cluster.NewKeyAsync();
        using var edge = new EdgeClient(new EdgeOptions(cluster.GatewayUri, cluster.NewCacheDirectory()) { ApiKey = key, Gflops = 50, DownlinkMbps = 10_000 }, handler);
        var result = await edge.EmbedTextsAsync(["Hello world"], SplitPreference.Force(1));
        Assert.False(result.FellBack, result.FallbackReason);
        Assert.Equal(1, handler.Tampered);
    }
}
