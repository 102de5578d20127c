namespace SplitCompute.Redis;

/// <summary>Base of every failure this client reports, so callers can catch "Redis did not help" in one place.</summary>
public abstract class RedisException : Exception
{
    protected RedisException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>
/// The command could not be delivered or its reply was lost: no connection, connect failed, or the connection dropped
/// while the command was pending. The command may or may not have run on the server.
/// </summary>
public sealed class RedisConnectionException : RedisException
{
    public RedisConnectionException(string endpoint, string message, Exception? innerException = null)
        : base($"Redis {endpoint}: {message}", innerException) => Endpoint = endpoint;

    public string Endpoint { get; }
}

/// <summary>
/// No reply within <see cref="RedisOptions.CommandTimeout"/> (the command may still have run). RESP replies carry no
/// ids, so when the reply is still outstanding the connection is closed (a late reply would otherwise be handed to the
/// next command) and re-established; commands pipelined behind it fail with <see cref="RedisConnectionException"/>.
/// </summary>
public sealed class RedisTimeoutException : RedisException
{
    public RedisTimeoutException(string endpoint, string command, TimeSpan timeout)
        : base($"Redis {endpoint}: {command} got no reply within {timeout.TotalMilliseconds:0} ms")
    {
        Endpoint = endpoint;
        Command = command;
    }

    public string Endpoint { get; }

    public string Command { get; }
}

/// <summary>The server answered with an error reply (e.g. WRONGTYPE, NOSCRIPT, ERR unknown command). The connection is fine.</summary>
public sealed class RedisServerException : RedisException
{
    public RedisServerException(string message) : base(message)
    {
        var space = message.IndexOf(' ', StringComparison.Ordinal);
        ErrorCode = space > 0 ? message[..space] : message;
    }

    /// <summary>The first word of the error, which Redis uses as its code: "ERR", "WRONGTYPE", "NOSCRIPT", ...</summary>
    public string ErrorCode { get; }
}
