using System.Net.Http.Json;
using System.Text.Json;
using SplitCompute.EdgeRuntime.Client;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// Realised savings on real processes: when a capable client splits, the worker's measured busy time falls short of its cloud-only
/// estimate, and the gateway logs that realised saving next to the predicted one; a cloud-only answer realises none.
/// </summary>
public sealed class RealisedSavingsTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private static readonly string[] Texts = ["Realised savings are what the worker did not compute.", "A second sequence to batch."];

    [Fact]
    public async Task A_split_shows_realised_savings_next_to_the_predicted_ones_and_cloud_only_shows_none()
    {
        using var edge = cluster.NewEdgeClient();
        var split = await edge.EmbedTextsAsync(Texts, SplitPreference.Force(0));
        Assert.False(split.FellBack, split.FallbackReason);
        Assert.NotNull(split.WorkerTiming);
        Assert.True(split.WorkerTiming.BusyMs < split.WorkerTiming.FullMs, $"{split.WorkerTiming}");

        var splitDecision = await LastDecisionAsync();
        var predicted = splitDecision.GetProperty("plan").GetProperty("gpuMsSaved").GetDouble();
        var realised = splitDecision.GetProperty("realisedGpuMsSaved").GetDouble();
        Assert.True(predicted > 0 && realised > 0, splitDecision.ToString());
        Assert.Equal(split.WorkerTiming.FullMs - split.WorkerTiming.BusyMs, realised, 2);

        var cloud = await edge.EmbedTextsAsync(Texts, SplitPreference.None);
        Assert.NotNull(cloud.WorkerTiming);
        var cloudDecision = await LastDecisionAsync();
        Assert.Equal(0, cloudDecision.GetProperty("plan").GetProperty("gpuMsSaved").GetDouble());
        // Cloud-only: the worker ran every layer; its estimate of the whole and its busy time differ only by measurement noise.
        Assert.True(cloudDecision.GetProperty("realisedGpuMsSaved").GetDouble() < realised, cloudDecision.ToString());
    }

    private async Task<JsonElement> LastDecisionAsync()
    {
        using var http = cluster.NewHttpClient();
        return (await http.GetFromJsonAsync<JsonElement>("/v1/decisions")).EnumerateArray().Last();
    }
}
