using SplitCompute.EndToEnd.Tests.OpenAi;

namespace SplitCompute.EndToEnd.Tests.JsClient;

/// <summary>
/// The JavaScript client finishing BERT-family splits on WebGPU (issue 24, with issue 22's encoders): the seeded encoder with a
/// default prompt and CLS pooling, normalised, at forced k equal to the cloud's answer (1e-4): post-LayerNorm blocks, bidirectional
/// attention, erf GELU, q/k/v stacked from nn.Linear's layout, all with the .NET edge's kernels.
/// </summary>
public sealed class JsEncoderTailTests(EncoderCluster cluster) : IClassFixture<EncoderCluster>
{
    private static readonly string[] Texts = ["Hello, world!", "A quick brown fox jumps over the lazy dog.", "short"];

    [SkippableTheory]
    [InlineData("0")]
    [InlineData("1")]
    public async Task An_encoder_split_finished_on_webgpu_equals_the_clouds_answer(string k)
    {
        var result = await JsWebGpuRun.EmbedAsync(cluster, Texts, k);
        Assert.True(JsWebGpuRun.PathOf(result) == "edge", $"not finished on the edge: {result}");
        Assert.Contains("matmul_rows_subgroups.wgsl", result.GetProperty("tailKernels").EnumerateArray().Select(f => f.GetString()));  // lavapipe: 8-wide subgroups
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, JsWebGpuRun.Vectors(result), tolerance: 1e-4);
    }
}

/// <summary>
/// An encoder that pools without its prompt, split for the JavaScript client, which accepts pool-from=1: it leaves the prompt's
/// positions (the frame's pool_from) out of mean pooling, equal to the cloud's answer.
/// </summary>
public sealed class JsPromptPoolingTests(PromptPoolingCluster cluster) : IClassFixture<PromptPoolingCluster>
{
    private static readonly string[] Texts = ["Hello, world!", "a longer sentence about layers and splits"];

    [SkippableFact]
    public async Task The_prompt_is_left_out_of_pooling_on_the_edge()
    {
        var result = await JsWebGpuRun.EmbedAsync(cluster, Texts, "1");
        Assert.True(JsWebGpuRun.PathOf(result) == "edge", $"not finished on the edge: {result}");
        var expected = await PlainEmbeddings.GetAsync(cluster, new { model = SplitCluster.Model, input = Texts });
        PlainEmbeddings.AssertClose(expected, JsWebGpuRun.Vectors(result), tolerance: 1e-4);
    }
}
