using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// Slow and inflating clients against a real gateway process (issue 21 item 6): a body trickled below the minimum rate, one kept
/// just above it past the body deadline, headers that never end, and bodies that declare megabytes and send nothing. Each cut
/// off (or cheap), while another client is answered correctly.
/// </summary>
public sealed class SlowClientTests
{
    private const string Embeddings = "/v1/embeddings";

    [Fact]
    public async Task A_body_trickled_at_300_bytes_a_second_is_cut_off_after_the_grace_period()
    {
        // Kestrel's default minimum (240 B/s) let this body hold its connection for as long as it liked.
        await using var cluster = await LiveCluster.StartAsync(workers: 1);
        var held = await TrickleAsync(cluster.Gateway.Url, declared: 100_000, bytesPerSecond: 300, giveUpAfter: TimeSpan.FromSeconds(30));
        Assert.True(held < TimeSpan.FromSeconds(15), $"a 300 B/s body held its connection for {held.TotalSeconds:F1} s (grace 5 s)");
        await AssertStillServesAsync(cluster);
    }

    [Fact]
    public async Task A_body_above_the_minimum_rate_ends_at_the_body_deadline()
    {
        await using var cluster = await LiveCluster.StartAsync(1, "--Gateway:BodyTimeoutSeconds=3");
        // 8 KiB/s is above the minimum rate; a 1 MiB body would take two minutes.
        var held = await TrickleAsync(cluster.Gateway.Url, declared: 1 << 20, bytesPerSecond: 8_192, giveUpAfter: TimeSpan.FromSeconds(30));
        Assert.True(held < TimeSpan.FromSeconds(8), $"the body held its connection for {held.TotalSeconds:F1} s (deadline 3 s)");
        await AssertStillServesAsync(cluster);
    }

    [Fact]
    public async Task Headers_that_never_end_are_cut_off()
    {
        await using var cluster = await LiveCluster.StartAsync(1, "--Gateway:HeadersTimeoutSeconds=2");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, cluster.Gateway.Port);
        var stream = tcp.GetStream();
        var clock = Stopwatch.StartNew();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {Embeddings} HTTP/1.1\r\nHost: x\r\n"));
        var closed = await WaitClosedAsync(stream, TimeSpan.FromSeconds(20), () => stream.WriteAsync("X-A: b\r\n"u8.ToArray()));
        Assert.True(closed && clock.Elapsed < TimeSpan.FromSeconds(10), $"headers trickled for {clock.Elapsed.TotalSeconds:F1} s (timeout 2 s), closed: {closed}");
    }

    [Fact]
    public async Task Bodies_that_declare_megabytes_and_send_nothing_cost_only_what_arrived()
    {
        // 200 connections declaring 4 MiB each: the buffer used to be allocated (and zeroed) at the declared size, +800 MB.
        await using var cluster = await LiveCluster.StartAsync(workers: 1);
        await AssertStillServesAsync(cluster);
        var before = cluster.Gateway.CommittedBytes();
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, cluster.Gateway.Port);
                await socket.SendAsync(Encoding.ASCII.GetBytes(
                    $"POST {Embeddings} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {4 << 20}\r\n\r\n{{\"input\":"));
                sockets.Add(socket);
            }
            await Task.Delay(1_500);
            var grown = cluster.Gateway.CommittedBytes() - before;
            Assert.True(grown < 200L << 20, $"the gateway committed {grown >> 20} MiB more for 200 declared, unsent 4 MiB bodies");
        }
        finally
        {
            foreach (var socket in sockets) socket.Dispose();
        }
        await AssertStillServesAsync(cluster);
    }

    /// <summary>Sends a declared body at a steady rate until the server closes; returns how long the connection lasted.</summary>
    private static async Task<TimeSpan> TrickleAsync(Uri gateway, int declared, int bytesPerSecond, TimeSpan giveUpAfter)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.Host, gateway.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST {Embeddings} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"));
        var clock = Stopwatch.StartNew();
        var chunk = new byte[Math.Max(1, bytesPerSecond / 10)];
        Array.Fill(chunk, (byte)' ');
        var sent = 0;
        var closed = await WaitClosedAsync(stream, giveUpAfter, async () =>
        {
            if (sent + chunk.Length >= declared) return;  // never finish the body
            await stream.WriteAsync(chunk);
            sent += chunk.Length;
        });
        Assert.True(closed, $"the connection was still open after {giveUpAfter.TotalSeconds:0} s");
        return clock.Elapsed;
    }

    /// <summary>Runs <paramref name="step"/> every 100 ms until the server closes the connection (or resets it); false on give-up.</summary>
    private static async Task<bool> WaitClosedAsync(NetworkStream stream, TimeSpan giveUpAfter, Func<ValueTask> step)
    {
        var clock = Stopwatch.StartNew();
        var buffer = new byte[4096];
        var pending = stream.ReadAsync(buffer).AsTask();
        while (clock.Elapsed < giveUpAfter)
        {
            try
            {
                if (await Task.WhenAny(pending, Task.Delay(100)) == pending)
                {
                    if (await pending == 0) return true;
                    pending = stream.ReadAsync(buffer).AsTask();  // an answer (408 or an error) before the close: keep reading
                    continue;
                }
                await step();
            }
            catch (IOException)
            {
                return true;
            }
            catch (SocketException)
            {
                return true;
            }
        }
        return false;
    }

    private static async Task AssertStillServesAsync(LiveCluster cluster)
    {
        using var edge = cluster.NewEdgeClient();
        var answer = await edge.EmbedTextsAsync(["still here"], SplitPreference.None);
        Assert.Single(answer.Embeddings);
        Assert.All(answer.Embeddings[0], v => Assert.True(float.IsFinite(v)));
    }
}
