using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// The official .NET OpenAI SDK, Microsoft.Extensions.AI over it and the Node SDK, with their default settings (they ask for
/// base64), against a real `splitcompute up` process tree: the same vectors the CLI's local `embed` computes, whole, cut to a
/// declared Matryoshka width, and normalised.
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

                IEmbeddingGenerator<string, Embedding<float>> generator = client.AsIEmbeddingGenerator();
                AssertClose(local, [.. (await generator.GenerateAsync(SdkTexts)).Select(e => e.Vector.ToArray())]);

                var cut = await client.GenerateEmbeddingsAsync(SdkTexts, new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 32 });
                AssertClose([.. local.Select(e => Unit(e[..32]))], [.. cut.Value.Select(e => e.ToFloats().ToArray())]);

                // `normalize` is text-embeddings-inference's field; no OpenAI SDK has it, so it is sent as a plain request.
                using var http = new HttpClient { BaseAddress = gateway };
                using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = "tiny", input = SdkTexts, normalize = true });
                using var normalised = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                AssertClose([.. local.Select(Unit)],
                    [.. normalised.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray())]);

                await The_Node_SDK_gets_the_same_through_up(gateway, root, local);
                The_edge_runtime_finishes_a_split_as_the_cloud_would(gateway.ToString(), root, local);
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

    /// <summary>
    /// `edge embed` at a forced split with OpenAI's <c>dimensions</c> and TEI's <c>normalize</c>: the edge finishes the pooled
    /// embeddings as the worker says (X-SplitCompute-Shaping), and <c>--encoding-format base64</c> writes them as OpenAI does.
    /// </summary>
    private static void The_edge_runtime_finishes_a_split_as_the_cloud_would(string gateway, string root, float[][] local)
    {
        float[][] Edge(params string[] extra)
        {
            var (exit, json, err) = CliProcess.Run([.. new[] { "edge", "embed", "--gateway", gateway, "--text", SdkTexts[0], "--text", SdkTexts[1],
                "--force-split", "1", "--json", "--backend", "cpu", "--cache", Path.Combine(root, "edge-cache") }, .. extra]);
            Assert.True(exit == 0, err);
            using var document = JsonDocument.Parse(json);
            Assert.Equal(1, document.RootElement.GetProperty("split").GetInt32());
            return [.. document.RootElement.GetProperty("embeddings").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
                ? Protocol.Embeddings.EmbeddingResponseWriter.FromLittleEndianBytes(e.GetBytesFromBase64())
                : e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
        }
        AssertClose(local, Edge());
        AssertClose([.. local.Select(e => Unit(e[..32]))], Edge("--dimensions", "32", "--encoding-format", "base64"));
        AssertClose([.. local.Select(Unit)], Edge("--normalize", "true"));
        var (refused, _, why) = CliProcess.Run("edge", "embed", "--gateway", gateway, "--text", SdkTexts[0], "--force-split", "1", "--dimensions", "33",
            "--backend", "cpu", "--cache", Path.Combine(root, "edge-cache"));
        Assert.NotEqual(0, refused);
        Assert.Contains("supports 64, 32, 16", why, StringComparison.Ordinal);
    }

    /// <summary>
    /// The Node SDK (the end-to-end tests' pinned package, installed with npm ci into a copy of its own, so this test never races
    /// theirs) with its defaults against the same `up`. Node and npm are required under ./splitcompute test, which installs them.
    /// </summary>
    private static async Task The_Node_SDK_gets_the_same_through_up(Uri gateway, string root, float[][] local)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var node = path.Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
        var npm = path.Select(d => Path.Combine(d, "npm")).FirstOrDefault(File.Exists);
        if (node is null || npm is null)
        {
            Assert.False(Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") == "1", "node or npm is not on PATH under ./splitcompute test");
            return;  // a developer machine without Node: the .NET SDK above still ran
        }
        var source = Path.Combine(RepositoryPaths.Root, "tests", "SplitCompute.EndToEnd.Tests", "OpenAi", "node");
        var copy = Directory.CreateDirectory(Path.Combine(root, "node")).FullName;
        foreach (var file in new[] { "package.json", "package-lock.json", "embed.mjs" }) File.Copy(Path.Combine(source, file), Path.Combine(copy, file));
        await RunToolAsync(npm, copy, ["ci", "--no-audit", "--no-fund", "--loglevel=error"], new Dictionary<string, string>());
        async Task<float[][]> EmbedAsync(params (string Name, string Value)[] extra)
        {
            var environment = new Dictionary<string, string>
            {
                ["SPLITCOMPUTE_BASE_URL"] = new Uri(gateway, "/v1").ToString(),
                ["SPLITCOMPUTE_MODEL"] = "tiny",
                ["SPLITCOMPUTE_INPUT"] = JsonSerializer.Serialize(SdkTexts),
            };
            foreach (var (name, value) in extra) environment[name] = value;
            using var vectors = JsonDocument.Parse(await RunToolAsync(node, copy, ["embed.mjs"], environment));
            return [.. vectors.RootElement.EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
        }
        AssertClose(local, await EmbedAsync());
        AssertClose([.. local.Select(e => Unit(e[..32]))], await EmbedAsync(("SPLITCOMPUTE_DIMENSIONS", "32")));
        AssertClose([.. local.Select(Unit)], await EmbedAsync(("SPLITCOMPUTE_NORMALIZE", "true")));
    }

    private static async Task<string> RunToolAsync(string tool, string directory, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new System.Diagnostics.ProcessStartInfo(tool) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(cancel.Token);
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
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
