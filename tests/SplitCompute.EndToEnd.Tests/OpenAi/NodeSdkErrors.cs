using System.Text.Json;

namespace SplitCompute.EndToEnd.Tests.OpenAi;

/// <summary>Runs the official Node <c>openai</c> SDK (node/embed.mjs) against a gateway and checks the error it reports.</summary>
internal static class NodeSdkErrors
{
    /// <summary>The Node SDK (skipped only where node/npm are absent outside ./splitcompute test) sees the status, code and message.</summary>
    /// <param name="repeat">Requests the script sends back to back (the first error counts): 2 or more crosses a per-second limit.</param>
    public static async Task AssertAsync(Uri gateway, string key, string[] input, int status, string code, string? message, int repeat = 1)
    {
        var missing = NodeTool.Missing("node", "npm");
        Assert.False(missing is not null && Environment.GetEnvironmentVariable("SPLITCOMPUTE_REQUIRE_NODE") == "1", $"{missing} is not on PATH");
        if (missing is not null) return;  // a developer machine without Node: the .NET SDK above still ran
        await NodeTool.InstallAsync();
        var inputFile = Path.Combine(Path.GetTempPath(), $"splitcompute-node-input-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(inputFile, JsonSerializer.Serialize(input));
        try
        {
            var output = await NodeTool.RunAsync("node", ["embed.mjs"], new Dictionary<string, string>
            {
                ["SPLITCOMPUTE_BASE_URL"] = new Uri(gateway, "/v1").ToString(),
                ["SPLITCOMPUTE_MODEL"] = SplitCluster.Model,
                ["SPLITCOMPUTE_INPUT_FILE"] = inputFile,
                ["OPENAI_API_KEY"] = key,
                ["SPLITCOMPUTE_REPEAT"] = repeat.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, TimeSpan.FromMinutes(1));
            using var result = JsonDocument.Parse(output);
            Assert.True(result.RootElement.ValueKind == JsonValueKind.Object, $"the Node SDK did not fail: {output[..Math.Min(200, output.Length)]}");
            var error = result.RootElement.GetProperty("error");
            Assert.Equal(status, error.GetProperty("status").GetInt32());
            Assert.Equal(code, error.GetProperty("code").GetString());
            if (message is not null) Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(inputFile);
        }
    }
}
