using System.Net.Sockets;
using System.Text;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// Sends a request line exactly as written (HttpClient would normalise "../" and percent-encoding away, which is what an
/// attacker's own client does not do) and returns the status code. Throws on a server that hangs or closes without answering.
/// </summary>
internal static class RawHttp
{
    public static async Task<int> StatusAsync(Uri server, string method, string target, params string[] headers)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await tcp.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = tcp.GetStream();
        var request = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        foreach (var header in headers) request.Append(header).Append("\r\n");
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request.ToString()), timeout.Token);
        var buffer = new byte[256];
        var read = 0;
        int n;
        while (read < 12 && (n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token)) > 0) read += n;
        var statusLine = Encoding.Latin1.GetString(buffer, 0, read);
        if (read < 12 || !statusLine.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
            throw new InvalidOperationException($"{method} {target}: no HTTP answer (got '{statusLine}')");
        return int.Parse(statusLine.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
    }
}
