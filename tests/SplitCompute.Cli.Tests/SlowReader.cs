using System.Net.Sockets;
using System.Text;
using SplitCompute.Protocol.Capabilities;

namespace SplitCompute.Cli.Tests;

/// <summary>
/// A client that sends one split request (forced k = 1, so the answer is a large hidden-state frame) over a raw socket with a
/// tiny receive window, reads at most the response head, and then never reads again.
/// </summary>
internal static class SlowReader
{
    private static readonly ClientCapabilities Capabilities = new()
    {
        Adapter = new AdapterInfo("test", "slow-reader", "stalled client", "vulkan"),
        Perf = new PerfMeasurements(100, 8),
        Network = new NetworkMeasurements(1_000, 1),
        Split = SplitPreference.Force(1),
    };

    public static async Task<(Socket Socket, string Head)> SendAsync(Uri server, string jsonBody, bool readHead)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(server.Host, server.Port);
        var body = Encoding.UTF8.GetBytes(jsonBody);
        var head = new StringBuilder($"POST /v1/embeddings HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\n")
            .Append("Accept: application/vnd.splitcompute.hidden-state\r\n");
        foreach (var (name, value) in CapabilityHeaderWriter.Write(Capabilities)) head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append($"Content-Length: {body.Length}\r\n\r\n");
        await socket.SendAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await socket.SendAsync(body);
        if (!readHead) return (socket, "");
        var buffer = new byte[2048];
        var read = await socket.ReceiveAsync(buffer);
        return (socket, Encoding.ASCII.GetString(buffer, 0, read));
    }
}
