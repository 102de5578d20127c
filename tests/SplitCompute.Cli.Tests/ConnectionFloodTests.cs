using System.Net;
using System.Net.Sockets;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// A connection flood against a real gateway process (issue 21: ~20,000 idle connections used to exhaust its descriptors and
/// abort it). The flooding address is cut off at the socket (Gateway:MaxConnectionsPerIp), the process keeps its descriptors
/// and memory bounded, and another client is answered correctly throughout.
/// </summary>
public sealed class ConnectionFloodTests
{
    private const int Attempts = 20_000;

    [Fact]
    public async Task Twenty_thousand_connections_from_one_address_neither_kill_the_gateway_nor_keep_others_out()
    {
        await using var cluster = await LiveCluster.StartAsync(workers: 1);
        using var edge = cluster.NewEdgeClient();
        var before = await edge.EmbedTextsAsync(["flood"], SplitPreference.None);

        var held = new List<Socket>();
        try
        {
            var maxDescriptors = 0;
            for (var opened = 0; opened < Attempts;)
            {
                // Open in batches, keep what the gateway keeps open, drop what it closed (as a flooding client would retry).
                for (var i = 0; i < 500 && opened < Attempts; i++, opened++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        await socket.ConnectAsync(IPAddress.Loopback, cluster.Gateway.Port);
                        held.Add(socket);
                    }
                    catch (SocketException)
                    {
                        socket.Dispose();  // refused at once: the backlog is full or the gateway said no
                    }
                }
                await Task.Delay(50);
                held.RemoveAll(ClosedByServer);
                maxDescriptors = Math.Max(maxDescriptors, OpenDescriptors(cluster.Gateway.ProcessId!.Value));
            }

            Assert.True(held.Count <= 256, $"{held.Count} connections from one address are still open (limit 256)");
            Assert.True(maxDescriptors < 256 + 1_024, $"the gateway held {maxDescriptors} descriptors during the flood");
            Assert.True(cluster.Gateway.ResidentBytes() < 1L << 30, $"the gateway's memory grew to {cluster.Gateway.ResidentBytes() >> 20} MiB");

            // Another address is served while the flood holds its connections.
            using var other = new HttpClient(new SocketsHttpHandler { ConnectCallback = ConnectFrom(IPAddress.Parse("127.0.0.2")) }) { BaseAddress = cluster.Gateway.Url };
            using var health = await other.GetAsync("/alive");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            foreach (var socket in held) socket.Dispose();
        }

        var after = await edge.EmbedTextsAsync(["flood"], SplitPreference.None);  // the same process, answering correctly
        Assert.Equal(before.Embeddings[0], after.Embeddings[0]);
    }

    private static bool ClosedByServer(Socket socket)
    {
        try
        {
            if (!socket.Poll(0, SelectMode.SelectRead) || socket.Available > 0) return false;
        }
        catch (SocketException)
        {
        }
        socket.Dispose();
        return true;
    }

    private static int OpenDescriptors(int pid)
    {
        try
        {
            return Directory.GetFiles($"/proc/{pid}/fd").Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectFrom(IPAddress source) => async (context, token) =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(context.DnsEndPoint, token);
        return new NetworkStream(socket, ownsSocket: true);
    };
}
