using System.Text.Json;
using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// The JavaScript client finishing a split on WebGPU (issue 24): under Node with Dawn's Node bindings (npm webgpu, pinned) on
/// lavapipe, against the real gateway and worker, with the .NET edge's WGSL kernels read from the repository. At forced splits
/// its embeddings equal the cloud-only answer (1e-4), the second request downloads nothing, a corrupted shard is refused (its
/// SHA-256) with the cloud's whole answer instead, and with a pinned key the manifest must be the gateway's signed one. Each split's
/// cost is reported to the gateway (feedback, accepted).
/// </summary>
public sealed class JsWebGpuTailTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Hello world", "The edge runs the tail on its own GPU.", "a"];

    [SkippableTheory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("3")]
    public async Task A_split_finished_on_webgpu_equals_the_cloud_only_answer(string k)
    {
        var result = await JsWebGpuRun.EmbedAsync(cluster, Texts, k);
        Assert.True(result.TryGetProperty("path", out var path), $"the client failed: {result}");
        Assert.True(path.GetString() == "edge", $"not finished on the edge: {result}");
        Assert.Equal(int.Parse(k, System.Globalization.CultureInfo.InvariantCulture), result.GetProperty("k").GetInt32());
        Assert.Equal("edge", result.GetProperty("againPath").GetString());
        Assert.Equal(0, result.GetProperty("againDownloaded").GetInt64());   // the shards are held
        Assert.Equal(0, result.GetProperty("againLoadMs").GetDouble());      // and the tail stayed resident: nothing uploaded again
        Assert.Equal(200, result.GetProperty("feedback").GetInt32());  // the gateway took what the split cost (protocol section 5)
        // lavapipe's subgroups are 8 wide: the tail ran the subgroup forms, as the .NET edge does there (Chromium's SwiftShader,
        // in the browser tests, runs the plain ones); attention's needs D % 32 == 0, and this model's heads are 16 wide.
        Assert.Equal(["matmul_rows_subgroups.wgsl", "attention.wgsl", "layernorm_subgroups.wgsl"],
            result.GetProperty("tailKernels").EnumerateArray().Select(f => f.GetString()!).ToArray());
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, JsWebGpuRun.Vectors(result), tolerance: 1e-4);
    }

    [SkippableFact]
    public async Task The_plain_kernel_forms_give_the_same_answer()
    {
        // What a device without 8-wide subgroups runs (Chromium's SwiftShader runs them too, in the browser tests).
        var result = await JsWebGpuRun.EmbedAsync(cluster, Texts, "1", kernelForms: "plain");
        Assert.True(JsWebGpuRun.PathOf(result) == "edge", $"not finished on the edge: {result}");
        Assert.Equal(["matmul_rows.wgsl", "attention.wgsl", "layernorm.wgsl"], result.GetProperty("tailKernels").EnumerateArray().Select(f => f.GetString()!).ToArray());
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, JsWebGpuRun.Vectors(result), tolerance: 1e-4);
    }

    [SkippableFact]
    public async Task The_calibration_times_every_form_and_the_tail_runs_the_fastest()
    {
        var result = await JsWebGpuRun.EmbedAsync(cluster, Texts, "1", kernelForms: "calibrate");
        Assert.True(JsWebGpuRun.PathOf(result) == "edge", $"not finished on the edge: {result}");
        var calibration = result.GetProperty("calibration");
        var ms = calibration.GetProperty("ms").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        // lavapipe has 8-wide subgroups: both forms of each kernel were timed, and the choice is the faster of each.
        string[][] pairs = [["matmul_rows.wgsl", "matmul_rows_subgroups.wgsl"], ["attention.wgsl", "attention_subgroups.wgsl"], ["layernorm.wgsl", "layernorm_subgroups.wgsl"]];
        var forms = calibration.GetProperty("forms");
        foreach (var (pair, name) in pairs.Zip(new[] { "matmul", "attention", "layerNorm" }))
        {
            Assert.All(pair, f => Assert.True(ms.ContainsKey(f) && ms[f] > 0, $"{f} was not timed: {calibration}"));
            Assert.Equal(pair.MinBy(f => ms[f]), forms.GetProperty(name).GetString());
        }
        Assert.True(calibration.GetProperty("gflops").GetDouble() > 0.01, $"{calibration}");
        // The tail ran the chosen product and LayerNorm forms (this model's 16-wide heads keep attention's plain form).
        var ran = result.GetProperty("tailKernels").EnumerateArray().Select(f => f.GetString()!).ToArray();
        Assert.Equal(forms.GetProperty("matmul").GetString(), ran[0]);
        Assert.Equal(forms.GetProperty("layerNorm").GetString(), ran[2]);
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, JsWebGpuRun.Vectors(result), tolerance: 1e-4);
    }

    [SkippableFact]
    public async Task An_interrupted_shard_download_resumes_where_it_stopped()
    {
        // Every shard's first transfer stops half way; the client asks for the rest (Range + If-Range) and the split goes on.
        var result = await JsWebGpuRun.EmbedAsync(cluster, Texts, "2", cut: true);
        Assert.True(JsWebGpuRun.PathOf(result) == "edge", $"not finished on the edge: {result}");
        Assert.True(result.GetProperty("rangedRequests").GetInt32() >= 2, $"no resumed download: {result}");
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, JsWebGpuRun.Vectors(result), tolerance: 1e-4);
    }

    [SkippableFact]
    public async Task A_corrupted_shard_is_refused_and_the_cloud_answers_whole()
    {
        var result = await JsWebGpuRun.EmbedAsync(cluster, Texts, "1", corrupt: true);
        Assert.True(result.TryGetProperty("path", out var path), $"the client failed: {result}");
        Assert.True(path.GetString() == "cloud-fallback", $"not a fallback: {result}");
        Assert.Contains(result.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("sha256", StringComparison.Ordinal) && w.GetString()!.Contains("refused", StringComparison.Ordinal));
        Assert.Equal(0, result.GetProperty("heldShards").GetInt32());
        Assert.Equal(200, result.GetProperty("feedback").GetInt32());  // reported as fell_back
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, JsWebGpuRun.Vectors(result));
    }

    [SkippableFact]
    public async Task With_the_gateways_key_pinned_a_signed_manifest_is_accepted_and_another_keys_is_refused()
    {
        using var http = cluster.NewHttpClient();
        var pinned = JsonDocument.Parse(await http.GetStringAsync("/v1/keys/manifest")).RootElement.GetProperty("public_key_pem").GetString()!;
        var verified = await JsWebGpuRun.EmbedAsync(cluster, Texts, "2", manifestKey: pinned);
        Assert.True(verified.TryGetProperty("path", out var path) && path.GetString() == "edge", $"not finished on the edge: {verified}");

        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var refused = await JsWebGpuRun.EmbedAsync(cluster, Texts, "2", manifestKey: other.ExportSubjectPublicKeyInfoPem());
        Assert.True(refused.TryGetProperty("path", out var fallback) && fallback.GetString() == "cloud-fallback", $"not a fallback: {refused}");
        Assert.Contains(refused.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("does not verify with the pinned key", StringComparison.Ordinal));
        Assert.Equal(0, refused.GetProperty("heldShards").GetInt32());  // nothing fetched for a manifest it could not trust
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, JsWebGpuRun.Vectors(refused));
    }
}
