using SplitCompute.RedisConnection;
using StackExchange.Redis;

namespace SplitCompute.Gateway.Access;

/// <summary>Runs one of the limiters' Lua scripts on one key and reads its reply, an array of integers of a known length.</summary>
internal static class RedisScripts
{
    /// <summary>
    /// EVALSHA once the script is cached on the server (StackExchange.Redis falls back to EVAL on NOSCRIPT). Throws what
    /// <see cref="RedisFailure.Is"/> accepts, including for a reply of another shape (naming <paramref name="what"/> and the key).
    /// </summary>
    public static async Task<long[]> RunAsync(RedisConnector redis, string script, string key, RedisValue[] args, int replyLength, string what)
    {
        var database = await redis.DatabaseAsync().ConfigureAwait(false);
        var reply = await database.ScriptEvaluateAsync(script, [key], args).ConfigureAwait(false);
        return reply.Resp2Type == ResultType.Array && reply.Length == replyLength ? (long[])reply!
            : throw new RedisException($"unexpected reply to the {what} script of {key}: {reply}");
    }
}
