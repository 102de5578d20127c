using System.Globalization;
using SplitCompute.Redis.Protocol;

namespace SplitCompute.Redis;

/// <summary>Where and how to connect. Immutable: build one per client.</summary>
public sealed record RedisOptions
{
    /// <summary>"host:port"; host may be a name, an IPv4 address or a bracketed IPv6 address ("[::1]:6379").</summary>
    public string Endpoint { get; init; } = "127.0.0.1:6379";

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Longest wait for a reply, measured from when the command is written. On expiry the command fails with
    /// <see cref="RedisTimeoutException"/> and the connection is recycled. <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>ACL user for AUTH; null uses the default user (AUTH password).</summary>
    public string? User { get; init; }

    /// <summary>Sent with AUTH on every (re)connect when set.</summary>
    public string? Password { get; init; }

    /// <summary>Selected with SELECT on every (re)connect when not 0.</summary>
    public int Database { get; init; }

    /// <summary>Set with CLIENT SETNAME on every (re)connect when set, so CLIENT LIST shows who is who.</summary>
    public string? ClientName { get; init; }

    /// <summary>First delay between failed connection attempts; doubles after each failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan InitialReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(2);

    public RespParserLimits ParserLimits { get; init; } = RespParserLimits.Default;

    /// <summary>Splits <see cref="Endpoint"/> into host and port.</summary>
    /// <exception cref="FormatException">The endpoint is not "host:port".</exception>
    public (string Host, int Port) ParseEndpoint()
    {
        var colon = Endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(Endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"Redis endpoint \"{Endpoint}\" is not host:port (e.g. 127.0.0.1:6379).");
        var host = Endpoint[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        return (host, port);
    }
}
