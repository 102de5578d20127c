using StackExchange.Redis;

namespace SplitCompute.RedisConnection;

/// <summary>The exceptions that mean "Redis did not answer usefully", on which every caller falls back instead of failing a request.</summary>
public static class RedisFailure
{
    /// <summary>
    /// Connection lost or refused, a server error reply, a timeout (StackExchange.Redis's <see cref="RedisTimeoutException"/> is a
    /// <see cref="TimeoutException"/>, not a <see cref="RedisException"/>), or a socket error surfacing as <see cref="IOException"/>.
    /// </summary>
    public static bool Is(Exception ex) => ex is RedisException or TimeoutException or IOException;
}
