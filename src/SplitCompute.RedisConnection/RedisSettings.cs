using StackExchange.Redis;

namespace SplitCompute.RedisConnection;

/// <summary>
/// Where Redis is and how to reach it, as the gateway, the worker and the CLI configure it. <see cref="Endpoint"/> is either
/// <c>host:port</c> or a whole StackExchange.Redis configuration string (several endpoints, <c>serviceName=</c> for Sentinel, a
/// cluster's seed nodes, <c>ssl=true</c>, <c>user=</c>/<c>password=</c>); the other fields, when set, override what it says, so a
/// password can come from a secret while the endpoint stays in plain configuration.
/// </summary>
public sealed record RedisSettings
{
    public string Endpoint { get; init; } = "127.0.0.1:6379";

    /// <summary>ACL user (Redis 6+); null: the default user.</summary>
    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>Connect with TLS (redis-server's <c>--tls-port</c>).</summary>
    public bool Tls { get; init; }

    /// <summary>PEM file of the CA that signed the server's certificate, for a private CA; null: the system's trust store.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>Shown by CLIENT LIST, so an operator sees which process is which.</summary>
    public string? ClientName { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait for a reply; then the command fails with a timeout (callers fall back, they never hang).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// StackExchange.Redis options with the behaviours callers rely on: a Redis that is down at start-up is not an error (the
    /// connection is made in the background, with backoff up to 2 s), and a command while disconnected fails at once instead of
    /// waiting in a backlog (a request must never wait for Redis).
    /// </summary>
    /// <exception cref="ArgumentException">The endpoint is not a valid configuration string (the message names it).</exception>
    public ConfigurationOptions ToConfigurationOptions()
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(Endpoint);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Redis endpoint \"{Endpoint}\" is neither host:port nor a StackExchange.Redis configuration string: {ex.Message}", ex);
        }
        if (options.EndPoints.Count == 0)
            throw new ArgumentException($"Redis endpoint \"{Endpoint}\" names no server (expected host:port, e.g. 127.0.0.1:6379)");
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = (int)ConnectTimeout.TotalMilliseconds;
        options.SyncTimeout = options.AsyncTimeout = (int)CommandTimeout.TotalMilliseconds;
        options.ReconnectRetryPolicy = new ExponentialRetry(50, 2_000);
        // Nothing here uses pub/sub: without SUBSCRIBE there is one connection per server instead of two, and a refused
        // connection reports its own reason (e.g. AuthenticationFailure) instead of the torn-down subscription socket's. Sentinel
        // keeps it: that is how it hears of a failover.
        if (string.IsNullOrEmpty(options.ServiceName))
            options.CommandMap = CommandMap.Create(["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"], available: false);
        if (ClientName is not null) options.ClientName = ClientName;
        if (User is not null) options.User = User;
        if (Password is not null) options.Password = Password;
        if (Tls) options.Ssl = true;
        if (TlsCaFile is not null)
        {
            if (!File.Exists(TlsCaFile)) throw new ArgumentException($"Redis TLS CA file \"{TlsCaFile}\" does not exist");
            options.Ssl = true;
            options.TrustIssuer(TlsCaFile);
        }
        return options;
    }

    /// <summary>The endpoint as logs and errors show it: never the password.</summary>
    public override string ToString() => $"{Endpoint.Split(',')[0]}{(Tls || TlsCaFile is not null ? " (TLS)" : "")}{(User is null ? "" : $" as {User}")}";
}
