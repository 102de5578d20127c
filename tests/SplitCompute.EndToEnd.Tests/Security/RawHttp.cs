using System.Net.Sockets;
using System.Text;

namespace SplitCompute.EndToEnd.Tests.Security;

/// <summary>
/// Sends a request line exactly as written (HttpClient would normalise "../" and percent-encoding away, which is what an
/// attacker's own client does not do), or a whole request as raw bytes, and returns the status code. Throws on a server that
/// hangs or closes without answering.
/// </summary>
internal static class RawHttp
{
    public static async Task<int> StatusAsync(Uri server, string method, string target, params string[] headers)
    {
        var request = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        foreach (var header in headers) request.Append(header).Append("\r\n");
        request.Append("\r\n");
        return await StatusAsync(server, Encoding.Latin1.GetBytes(request.ToString()), $"{method} {target}");
    }

    /// <summary>
    /// Sends <paramref name="request"/> byte for byte (head and body, framing as written) and returns the answer's status code.
    /// The sending side stays open: Kestrel reads a half-closed connection as a client that went away, and answers nothing.
    /// </summary>
    public static async Task<int> StatusAsync(Uri server, byte[] request, string what)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await tcp.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The server answered and closed before reading everything (e.g. 413 on a large declared length): read its answer.
        }
        var buffer = new byte[256];
        var read = 0;
        int n;
        while (read < 12 && (n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token)) > 0) read += n;
        var statusLine = Encoding.Latin1.GetString(buffer, 0, read);
        if (read < 12 || !statusLine.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
            throw new InvalidOperationException($"{what}: no HTTP answer (got '{statusLine}')");
        return int.Parse(statusLine.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
    }
}
