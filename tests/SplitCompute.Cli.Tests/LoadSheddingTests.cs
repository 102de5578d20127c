using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// Admission before authentication on a real gateway process (issue 21 item 1): past its cap on requests in progress the gateway
/// sheds new ones with 503 + Retry-After at once (liveness still answered), and one address over its request rate gets 429 +
/// Retry-After while another address is served.
/// </summary>
public sealed class LoadSheddingTests
{
    [Fact]
    public async Task Past_its_capacity_the_gateway_sheds_with_503_and_Retry_After_and_recovers()
    {
        await using var cluster = await LiveCluster.StartAsync(1, "--Gateway:MaxConcurrentRequests=4");
        // Four requests in progress: bodies declared and never finished.
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, cluster.Gateway.Port);
                await socket.SendAsync(Encoding.ASCII.GetBytes("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"));
                held.Add(socket);
            }
            await Task.Delay(300);
            using var http = new HttpClient { BaseAddress = cluster.Gateway.Url };
            using var shed = await http.PostAsync("/v1/embeddings", new StringContent("""{"input":"hi"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, shed.StatusCode);
            Assert.True(shed.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "no Retry-After on the 503");
            Assert.Contains("capacity", await shed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var alive = await http.GetAsync("/alive");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
        finally
        {
            foreach (var socket in held) socket.Dispose();
        }
        await Task.Delay(300);
        using var client = new HttpClient { BaseAddress = cluster.Gateway.Url };
        using var served = await client.PostAsync("/v1/embeddings", new StringContent("""{"input":"hi"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task One_address_over_its_request_rate_gets_429_while_another_is_served()
    {
        await using var cluster = await LiveCluster.StartAsync(1, "--Gateway:MaxRequestsPerSecondPerIp=5");
        using var http = new HttpClient { BaseAddress = cluster.Gateway.Url };
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 40; i++)
        {
            var response = await http.GetAsync("/health");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused ??= response;
            else response.Dispose();
        }
        Assert.NotNull(refused);
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 20, string.Join(",", statuses.Select(s => (int)s)));
        Assert.True(refused!.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "no Retry-After on the 429");
        refused.Dispose();

        using var other = new HttpClient(new SocketsHttpHandler { ConnectCallback = From(IPAddress.Parse("127.0.0.2")) }) { BaseAddress = cluster.Gateway.Url };
        using var answer = await other.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> From(IPAddress source) => async (context, token) =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(context.DnsEndPoint, token);
        return new NetworkStream(socket, ownsSocket: true);
    };
}
