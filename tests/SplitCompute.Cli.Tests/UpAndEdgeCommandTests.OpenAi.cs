using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// The official .NET OpenAI SDK with its default settings (it asks for base64) against a real `splitcompute up` process tree:
/// the same vectors the CLI's local `embed` computes, whole, cut to a declared Matryoshka width, and normalised.
/// </summary>
public sealed partial class UpAndEdgeCommandTests
{
    private static readonly string[] SdkTexts = ["Hello world", "OpenAI clients work unchanged against up."];

    [Fact]
    public async Task The_OpenAI_SDK_with_its_defaults_gets_what_the_CLI_embeds_through_up()
    {
        var root = Directory.CreateTempSubdirectory("splitcompute-up-openai-").FullName;
        try
        {
            var model = Path.Combine(root, "tiny");
            Assert.Equal(0, CliProcess.Run("model", "init", "--preset", "tiny", "--seed", "5", "--out", model).ExitCode);
            File.WriteAllText(Path.Combine(model, "embedding.json"), """{"matryoshka_dimensions": [32, 16]}""");
            var (exit, json, err) = CliProcess.Run("embed", "--model", model, "--text", SdkTexts[0], "--text", SdkTexts[1], "--json");
            Assert.True(exit == 0, err);
            float[][] local;
            using (var document = JsonDocument.Parse(json))
                local = [.. document.RootElement.GetProperty("embeddings").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];

            using var up = Start(root, "up", "--model", model, "--port", FreePort().ToString(CultureInfo.InvariantCulture));
            try
            {
                var gateway = new Uri(await WaitForLineAsync(up, "gateway: ", TimeSpan.FromMinutes(2)));
                var client = new EmbeddingClient("tiny", new ApiKeyCredential("unused"),
                    new OpenAIClientOptions { Endpoint = new Uri(gateway, "/v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

                var whole = await client.GenerateEmbeddingsAsync(SdkTexts);
                AssertClose(local, [.. whole.Value.Select(e => e.ToFloats().ToArray())]);

                var cut = await client.GenerateEmbeddingsAsync(SdkTexts, new EmbeddingGenerationOptions { Dimensions = 32 });
                AssertClose([.. local.Select(e => Unit(e[..32]))], [.. cut.Value.Select(e => e.ToFloats().ToArray())]);

                // `normalize` is text-embeddings-inference's field; no OpenAI SDK has it, so it is sent as a plain request.
                using var http = new HttpClient { BaseAddress = gateway };
                using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = "tiny", input = SdkTexts, normalize = true });
                using var normalised = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                AssertClose([.. local.Select(Unit)],
                    [.. normalised.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray())]);
            }
            finally
            {
                _ = kill(up.Id, 15);
                if (!up.WaitForExit(TimeSpan.FromSeconds(30))) up.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static float[] Unit(float[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => (double)x * x));
        return [.. v.Select(x => (float)(x / norm))];
    }

    private static void AssertClose(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            var max = expected[i].Zip(actual[i]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(max <= 1e-5, $"embedding {i}: max |diff| {max} > 1e-5");
        }
    }
}
