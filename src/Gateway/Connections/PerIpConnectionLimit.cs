using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace SplitCompute.Gateway.Connections;

/// <summary>
/// Kestrel connection middleware: at most <c>limit</c> open connections per remote address, counted before TLS, HTTP or
/// authentication, so one host opening thousands of idle connections is cut off at the socket while others keep being served
/// (what nginx's limit_conn does). A connection over the limit is closed at once, before a byte is read.
/// </summary>
internal sealed class PerIpConnectionLimit(int limit, Action<IPAddress>? refused = null)
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();

    public int OpenFrom(IPAddress address) => _open.GetValueOrDefault(address);

    public ConnectionDelegate Apply(ConnectionDelegate next) => async connection =>
    {
        if (connection.RemoteEndPoint is not IPEndPoint { Address: var address })
        {
            await next(connection).ConfigureAwait(false);  // a Unix socket or a test transport: nothing to count by
            return;
        }
        if (_open.AddOrUpdate(address, 1, (_, n) => n + 1) > limit)
        {
            Release(address);
            refused?.Invoke(address);
            connection.Abort(new ConnectionAbortedException($"more than {limit} connections from {address}"));
            return;
        }
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Release(address);
        }
    };

    private void Release(IPAddress address)
    {
        // Remove the entry at zero so the table holds only addresses with open connections.
        while (true)
        {
            var n = _open.GetValueOrDefault(address);
            if (n <= 1)
            {
                if (_open.TryRemove(new KeyValuePair<IPAddress, int>(address, n))) return;
            }
            else if (_open.TryUpdate(address, n - 1, n))
            {
                return;
            }
        }
    }
}
