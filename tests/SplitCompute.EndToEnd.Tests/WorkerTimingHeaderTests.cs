using System.Net;
using System.Text;
using System.Text.Json;
using SplitCompute.InferenceWorker.Endpoints;
using SplitCompute.Protocol;
using SplitCompute.Protocol.Workers;

namespace SplitCompute.EndToEnd.Tests;

/// <summary>
/// The worker's measured time per request on a real worker (Kestrel on loopback): X-SplitCompute-Worker-Ms on every
/// successful answer, frame and JSON, readable with <see cref="WorkerTiming"/>; and readiness with the heartbeat's busy_fraction.
/// </summary>
public sealed class WorkerTimingHeaderTests(SplitCluster cluster) : IClassFixture<SplitCluster>
{
    private HttpClient Worker() => new() { BaseAddress = new Uri(SplitCluster.Address(cluster.Workers[0])) };

    private static HttpRequestMessage Embeddings(int k, bool frame)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent("{\"input\": \"worker timing\"}", Encoding.UTF8, "application/json") };
        request.Headers.Add(HeaderNames.SplitK, k.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (frame) request.Headers.Accept.ParseAdd(MediaTypes.HiddenState);
        return request;
    }

    [Theory]
    [InlineData(1, true)]   // split: a hidden-state frame
    [InlineData(4, true)]   // whole model: an embeddings frame
    [InlineData(4, false)]  // whole model: OpenAI JSON
    public async Task Every_successful_answer_carries_busy_full_queue_and_total(int k, bool frame)
    {
        using var http = Worker();
        using var response = await http.SendAsync(Embeddings(k, frame));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var value = Assert.Single(response.Headers.GetValues(HeaderNames.WorkerMs));
        Assert.Matches(@"^busy=\d+\.\d{3}; full=\d+\.\d{3}; queue=\d+\.\d{3}; total=\d+\.\d{3}$", value);
        Assert.True(WorkerTiming.TryParse(value, out var timing), value);
        Assert.True(timing.BusyMs > 0 && timing.FullMs > 0, value);
        Assert.True(timing.TotalMs >= timing.QueueMs, $"total covers the queue: {value}");
    }

    [Fact]
    public async Task A_refused_request_carries_no_timing()
    {
        using var http = Worker();
        using var response = await http.SendAsync(Embeddings(1, frame: false));  // a split answer needs the frame media type

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.False(response.Headers.Contains(HeaderNames.WorkerMs));
    }

    [Fact]
    public async Task A_ready_worker_reports_its_busy_fraction_and_backlog()
    {
        using var http = Worker();
        using var health = await http.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        var busy = json.RootElement.GetProperty("busy_fraction").GetDouble();
        Assert.InRange(busy, 0, 1);
        Assert.True(json.RootElement.GetProperty("backlog_ms").GetDouble() >= 0);
    }
}
